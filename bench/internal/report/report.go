// Package report turns benchmark samples into the `make bench` outputs:
// medians with spread, same-run ratios with goals, benchstat-format text, a
// Markdown table and a self-contained HTML page with a bar chart of ratios.
// Everything here is pure (no I/O besides the io.Writer handed in).
package report

import (
	"math"
	"slices"
)

// Measurement is one benchmark figure sampled several times (one sample per
// run or per -count). Unit is the primary unit of Samples ("req/s",
// "sec/op", "ops/s"); Extra holds other units sampled at the same time
// ("allocs/op", "B/op", "p99-sec", "server-cpu-sec/op", ...).
type Measurement struct {
	Name    string               `json:"name"`
	Kind    string               `json:"kind"` // micro, macro, ceiling
	Pkg     string               `json:"pkg,omitempty"`
	Unit    string               `json:"unit"`
	Samples []float64            `json:"samples"`
	Extra   map[string][]float64 `json:"extra,omitempty"`
	Driver  string               `json:"driver,omitempty"`
	Note    string               `json:"note,omitempty"`
}

// Key identifies m in RowSpecs: "pkg name" for micro benchmarks, the name
// otherwise.
func (m Measurement) Key() string {
	if m.Pkg != "" {
		return m.Pkg + " " + m.Name
	}
	return m.Name
}

// Stat summarises samples: median, min, max and count.
type Stat struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	N      int     `json:"n"`
}

// Summarize answers the Stat of xs (zero Stat for none).
func Summarize(xs []float64) Stat {
	if len(xs) == 0 {
		return Stat{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Stat{Median: m, Min: s[0], Max: s[len(s)-1], N: len(s)}
}

// Spread is the largest distance from the median to min or max, as a
// fraction of the median (what "±x%" shows).
func (s Stat) Spread() float64 {
	if s.Median == 0 {
		return 0
	}
	return math.Max(s.Max-s.Median, s.Median-s.Min) / math.Abs(s.Median)
}

// HigherIsBetter tells the direction of a unit: throughputs and ratios up,
// times, bytes and allocations down.
func HigherIsBetter(unit string) bool {
	switch unit {
	case "req/s", "ops/s", "pages/s", "tps", "ratio", "B/s", "MB/s":
		return true
	}
	return false
}

// Ratio is ours relative to peer so that > 1 always means ours is better:
// ours/peer for throughputs, peer/ours for costs. Samples of equal length
// are paired (interleaved runs: ratio per round, then the median of those);
// otherwise it is the ratio of the medians (N = 1).
func Ratio(ours, peer []float64, unit string) Stat {
	up := HigherIsBetter(unit)
	one := func(o, p float64) (float64, bool) {
		if up {
			return o / p, p > 0
		}
		return p / o, o > 0
	}
	if len(ours) == 0 || len(peer) == 0 {
		return Stat{}
	}
	if len(ours) == len(peer) {
		var rs []float64
		for i := range ours {
			if r, ok := one(ours[i], peer[i]); ok {
				rs = append(rs, r)
			}
		}
		return Summarize(rs)
	}
	r, ok := one(Summarize(ours).Median, Summarize(peer).Median)
	if !ok {
		return Stat{}
	}
	return Stat{Median: r, Min: r, Max: r, N: 1}
}
