package wsload

import "github.com/echosenseix/echosenseix/internal/hist"

// Histogram is the fan-out and response-time histogram children send the
// coordinator and reports summarize (see internal/hist). The zero value is
// ready to use.
type Histogram = hist.Histogram

// msOf converts a histogram value in µs to milliseconds.
func msOf(us float64) float64 { return us / 1000 }
