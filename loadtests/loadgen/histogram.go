package loadgen

import "github.com/echosenseix/echosenseix/internal/hist"

// Histogram is the latency histogram of every result (see internal/hist).
type Histogram = hist.Histogram

// MaxValue is the largest value a Histogram holds, in µs.
const MaxValue = hist.MaxValue

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram { return hist.New() }
