package dashboards

import (
	"testing"

	"github.com/echosenseix/echosenseix/integration/harness"
)

// TestMain removes the server binary the proof builds and stops throwaway
// services when the tests end.
func TestMain(m *testing.M) { harness.Main(m) }
