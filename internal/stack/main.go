package stack

import (
	"os"
	"testing"
)

// Main runs m, stops the throwaway servers it started and exits with its
// code. Call it from TestMain:
//
//	func TestMain(m *testing.M) { stack.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	StopAll()
	os.Exit(code)
}
