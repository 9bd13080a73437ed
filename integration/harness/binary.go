package harness

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/stack"
)

// BinaryEnv names a prebuilt binary to use instead of building one.
const BinaryEnv = "ECHOSENSEIX_BIN"

// mainPackage is the import path of the server command.
const mainPackage = "github.com/echosenseix/echosenseix/server/cmd/echosenseix"

var (
	buildOnce sync.Once
	buildPath string
	buildDir  string
	buildErr  error
)

// Binary returns the path of the echosenseix binary: $ECHOSENSEIX_BIN, or
// one built with `go build` into a temp dir on first use (once per test
// binary; Main removes it). A build failure fails tb.
func Binary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		if p := os.Getenv(BinaryEnv); p != "" {
			if _, err := os.Stat(p); err != nil {
				buildErr = fmt.Errorf("cannot use %s=%s: %w", BinaryEnv, p, err)
				return
			}
			buildPath = p
			return
		}
		buildPath, buildDir, buildErr = build()
	})
	if buildErr != nil {
		tb.Fatalf("harness: %v", buildErr)
	}
	return buildPath
}

// build runs go build for the server command into a new temp dir.
func build() (path, dir string, err error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		if root := os.Getenv("GOROOT"); root != "" {
			goBin = filepath.Join(root, "bin", "go")
		} else {
			return "", "", fmt.Errorf("cannot find the go command to build %s: %w", mainPackage, err)
		}
	}
	dir, err = os.MkdirTemp("", "echosenseix-bin-")
	if err != nil {
		return "", "", fmt.Errorf("cannot create build dir: %w", err)
	}
	path = filepath.Join(dir, "echosenseix")
	start := time.Now()
	cmd := exec.Command(goBin, "build", "-o", path, mainPackage)
	if out, err := cmd.CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		return "", "", fmt.Errorf("cannot build %s: %v\n%s", mainPackage, err, out)
	}
	fmt.Fprintf(os.Stderr, "harness: built %s in %v\n", path, time.Since(start).Round(time.Millisecond))
	return path, dir, nil
}

// Main runs the tests of m, then removes the built binary and stops the
// throwaway services of integration/stack. Call it from TestMain:
//
//	func TestMain(m *testing.M) { harness.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	stack.StopAll()
	os.Exit(code)
}
