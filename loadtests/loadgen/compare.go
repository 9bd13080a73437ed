package loadgen

import (
	"fmt"
	"io"
	"math"
)

// Diff is one compared figure.
type Diff struct {
	Metric     string  `json:"metric"`
	Old        float64 `json:"old"`
	New        float64 `json:"new"`
	Change     float64 `json:"change"` // relative, (new-old)/old
	Regression bool    `json:"regression"`
}

// Compare compares new against old: throughput lower, latency percentiles
// or error rate higher by more than tolerance (0.10 = 10 %) are
// regressions, for the totals and every request type both runs have. An
// error rate that goes from 0 to anything is a regression; latency changes
// under 0.5 ms are not.
func Compare(old, new *Result, tolerance float64) []Diff {
	var ds []Diff
	add := func(metric string, o, n float64, higherIsWorse bool) {
		d := Diff{Metric: metric, Old: o, New: n}
		switch {
		case o == 0 && n == 0:
		case o == 0:
			d.Change = math.Inf(1)
		default:
			d.Change = (n - o) / o
		}
		if higherIsWorse {
			d.Regression = d.Change > tolerance && n-o > floor(metric)
		} else {
			d.Regression = d.Change < -tolerance
		}
		ds = append(ds, d)
	}
	group := func(prefix string, oreq, nreq float64, oerr, nerr float64, op, np Percentiles) {
		add(prefix+"rps", oreq, nreq, false)
		add(prefix+"error rate", oerr, nerr, true)
		add(prefix+"p50 ms", op.P50, np.P50, true)
		add(prefix+"p95 ms", op.P95, np.P95, true)
		add(prefix+"p99 ms", op.P99, np.P99, true)
	}
	group("total ", old.RPS, new.RPS, old.ErrorRate, new.ErrorRate, old.Latency, new.Latency)
	for _, name := range new.TypeNames() {
		o, ok := old.Types[name]
		if !ok {
			continue
		}
		n := new.Types[name]
		group(name+" ", o.RPS, n.RPS, o.ErrorRate, n.ErrorRate, o.Latency, n.Latency)
	}
	return ds
}

// floor is the absolute change below which a metric never regresses: half
// a millisecond of latency is noise on a shared machine.
func floor(metric string) float64 {
	if len(metric) > 3 && metric[len(metric)-3:] == " ms" {
		return 0.5
	}
	return 0
}

// PrintDiffs writes the diffs as a table and returns whether any regressed.
func PrintDiffs(w io.Writer, ds []Diff) (regressed bool) {
	fmt.Fprintf(w, "%-40s %12s %12s %9s\n", "metric", "old", "new", "change")
	for _, d := range ds {
		flag := ""
		if d.Regression {
			flag, regressed = "  REGRESSION", true
		}
		fmt.Fprintf(w, "%-40s %12.4g %12.4g %+8.1f%%%s\n", d.Metric, d.Old, d.New, 100*d.Change, flag)
	}
	return regressed
}
