package harness

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/internal/testbin"
)

// BinaryEnv names a prebuilt binary to use instead of building one.
const BinaryEnv = testbin.ServerEnv

// Binary returns the path of the echosenseix binary: $ECHOSENSEIX_BIN, or
// one built with `go build` into a temp dir on first use (once per test
// binary; Main removes it). A build failure fails tb.
func Binary(tb testing.TB) string {
	tb.Helper()
	return testbin.Server.Path(tb)
}

// Main runs the tests of m (none under -short: the suites are slow), then runs cleanups, removes the built binary
// and stops the throwaway services of internal/stack. Call it from TestMain:
//
//	func TestMain(m *testing.M) { harness.Main(m) }
func Main(m *testing.M, cleanups ...func()) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("integration suites skipped under -short")
		os.Exit(0)
	}
	code := m.Run()
	for _, c := range cleanups {
		c()
	}
	testbin.Server.Remove()
	stack.StopAll()
	os.Exit(code)
}
