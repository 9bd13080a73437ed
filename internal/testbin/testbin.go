// Package testbin builds the project's commands for tests that run them as
// processes (end-to-end suites, load tools, benchmarks): `go build` once
// per test binary into a temp dir, or a prebuilt binary named by an
// environment variable.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sync"
	"testing"
)

// ServerPackage is the import path of the server command.
const ServerPackage = "github.com/echosenseix/echosenseix/server/cmd/echosenseix"

// ServerEnv names a prebuilt server binary to use instead of building one.
const ServerEnv = "ECHOSENSEIX_BIN"

// Server is the echosenseix binary, shared by every test of a test binary.
var Server = New(ServerPackage, ServerEnv)

// Binary is one command built on first use. It is safe for concurrent use.
type Binary struct {
	pkg, env string
	once     sync.Once
	path     string
	dir      string
	err      error
}

// New returns the command pkg (an import path, or a path relative to the
// test's directory such as "."), taken from $env when env is not empty and
// set there.
func New(pkg, env string) *Binary { return &Binary{pkg: pkg, env: env} }

// Build returns the binary's path, building it on the first call.
func (b *Binary) Build() (string, error) {
	b.once.Do(func() {
		if p := os.Getenv(b.env); b.env != "" && p != "" {
			if _, err := os.Stat(p); err != nil {
				b.err = fmt.Errorf("cannot use %s=%s: %w", b.env, p, err)
			}
			b.path = p
			return
		}
		b.path, b.dir, b.err = build(b.pkg)
	})
	return b.path, b.err
}

// Path is Build for a test: a build failure fails tb.
func (b *Binary) Path(tb testing.TB) string {
	tb.Helper()
	p, err := b.Build()
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// Remove deletes what Build built (not a binary named by env). Call it from
// TestMain after m.Run.
func (b *Binary) Remove() {
	if b.dir != "" {
		_ = os.RemoveAll(b.dir)
	}
}

// BuildTo runs `go build -o bin pkg`.
func BuildTo(bin, pkg string) error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		root := os.Getenv("GOROOT")
		if root == "" {
			return fmt.Errorf("cannot find the go command to build %s: %w", pkg, err)
		}
		goBin = filepath.Join(root, "bin", "go")
	}
	if out, err := exec.Command(goBin, "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		return fmt.Errorf("cannot build %s: %v\n%s", pkg, err, out)
	}
	return nil
}

// build runs go build for pkg into a new temp dir.
func build(pkg string) (bin, dir string, err error) {
	dir, err = os.MkdirTemp("", "testbin-")
	if err != nil {
		return "", "", fmt.Errorf("cannot create build dir: %w", err)
	}
	name := path.Base(filepath.ToSlash(pkg))
	if name == "." || name == "/" {
		wd, _ := os.Getwd()
		name = filepath.Base(wd)
	}
	bin = filepath.Join(dir, name)
	if err := BuildTo(bin, pkg); err != nil {
		_ = os.RemoveAll(dir)
		return "", "", err
	}
	return bin, dir, nil
}
