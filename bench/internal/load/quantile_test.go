package load

import (
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/hist"
)

func TestQuantileAsDuration(t *testing.T) {
	h := hist.New()
	for us := 1; us <= 1000; us++ {
		h.Record(time.Duration(us) * time.Microsecond)
	}
	for _, tt := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Microsecond}, {0.99, 990 * time.Microsecond}} {
		got := quantile(h, tt.q)
		if d := got - tt.want; d > tt.want/100 || -d > tt.want/100 {
			t.Errorf("quantile(%v) = %v; want %v within 1%%", tt.q, got, tt.want)
		}
	}
}
