package report

import (
	"fmt"
	"io"
	"math"
	"sort"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
)

// Regression is a figure that got worse beyond noise between two result
// sets: significant by a Mann-Whitney U-test (p < alpha) and worse by more
// than the threshold (or any increase of allocations from zero).
type Regression struct {
	Benchmark string  `json:"benchmark"`
	Unit      string  `json:"unit"`
	Old       float64 `json:"old"`
	New       float64 `json:"new"`
	Change    float64 `json:"change"` // (new-old)/old
	P         float64 `json:"p"`
}

// String prints the regression for people.
func (r Regression) String() string {
	return fmt.Sprintf("%s %s: %s → %s (%+.1f%%, p=%.3f)", r.Benchmark, r.Unit,
		FormatValue(r.Old, r.Unit), FormatValue(r.New, r.Unit), r.Change*100, r.P)
}

// CompareUnits are the units checked for regressions. Absolute HTTP
// throughput (req/s) is left out: across sittings on a shared machine it
// swings by 2× (anchors.md); the same-run ratios are compared instead.
var CompareUnits = map[string]bool{"sec/op": true, "allocs/op": true, "B/op": true, "ratio": true}

// ReadSamples reads benchmark-format text into samples by "pkg name" and
// unit (units tidied: ns/op → sec/op).
func ReadSamples(r io.Reader, fileName string) (map[string]map[string][]float64, error) {
	out := map[string]map[string][]float64{}
	br := benchfmt.NewReader(r, fileName)
	for br.Scan() {
		res, ok := br.Result().(*benchfmt.Result)
		if !ok {
			continue
		}
		key := procsSuffix.ReplaceAllString(string(res.Name.Full()), "")
		if pkg := res.GetConfig("pkg"); pkg != "" {
			key = pkg + " " + key
		}
		if out[key] == nil {
			out[key] = map[string][]float64{}
		}
		for _, v := range res.Values {
			out[key][v.Unit] = append(out[key][v.Unit], v.Value)
		}
	}
	if err := br.Err(); err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", fileName, err)
	}
	return out, nil
}

// Compare finds regressions from old to new among CompareUnits; threshold
// is the relative change that counts (0.10 = 10 %), alpha the significance
// level (benchstat's default 0.05).
func Compare(old, cur map[string]map[string][]float64, threshold, alpha float64) []Regression {
	th := &benchmath.Thresholds{CompareAlpha: alpha}
	var out []Regression
	for key, units := range cur {
		for unit, nv := range units {
			ov := old[key][unit]
			if !CompareUnits[unit] || len(ov) == 0 || len(nv) == 0 {
				continue
			}
			o, n := Summarize(ov).Median, Summarize(nv).Median
			worse := n - o
			if HigherIsBetter(unit) {
				worse = -worse
			}
			if worse <= 0 {
				continue
			}
			c := benchmath.AssumeNothing.Compare(benchmath.NewSample(ov, th), benchmath.NewSample(nv, th))
			change := math.Inf(1)
			if o != 0 {
				change = (n - o) / math.Abs(o)
			}
			fromZero := unit == "allocs/op" && o == 0 && n >= 1
			if fromZero || (c.P < alpha && worse > threshold*math.Abs(o)) {
				out = append(out, Regression{Benchmark: key, Unit: unit, Old: o, New: n, Change: change, P: c.P})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Benchmark+out[i].Unit < out[j].Benchmark+out[j].Unit })
	return out
}
