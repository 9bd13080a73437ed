package httpapi_test

import (
	"os"
	"testing"

	"github.com/echosenseix/echosenseix/internal/stack"
)

func TestMain(m *testing.M) {
	code := m.Run()
	stack.StopAll()
	os.Exit(code)
}
