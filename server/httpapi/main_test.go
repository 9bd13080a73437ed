package httpapi_test

import (
	"testing"

	"github.com/echosenseix/echosenseix/internal/stack"
)

func TestMain(m *testing.M) { stack.Main(m) }
