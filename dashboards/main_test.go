package dashboards

import (
	"testing"

	"github.com/echosenseix/echosenseix/integration/harness"
	"github.com/echosenseix/echosenseix/internal/testbin"
)

// loadgen is the load generator the proof runs with its /metrics scraped.
var loadgen = testbin.New("github.com/echosenseix/echosenseix/loadtests/cmd/loadgen", "")

// TestMain removes the binaries the proof builds and stops throwaway
// services when the tests end.
func TestMain(m *testing.M) { harness.Main(m, loadgen.Remove) }
