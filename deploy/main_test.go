package deploy

import (
	"testing"

	"github.com/echosenseix/echosenseix/integration/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }
