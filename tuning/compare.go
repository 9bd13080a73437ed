package tuning

import (
	"strconv"
	"strings"
)

// Status of a live value against the plan.
const (
	StatusOK      = "ok"
	StatusLow     = "low"     // below the plan (or a different choice where there is no order)
	StatusHigh    = "high"    // above the plan
	StatusUnknown = "unknown" // not readable here
)

// Compare says whether live holds want under mode. Both are fields
// separated by spaces; numbers (with units already resolved by the reader)
// compare as numbers, anything else as text.
func Compare(mode, want, live string) string {
	w, l := strings.Fields(normalize(want)), strings.Fields(normalize(live))
	if len(l) == 0 {
		return StatusUnknown
	}
	if len(w) != len(l) {
		return StatusLow
	}
	if mode == CompareRange && len(w) == 2 {
		ws, we := numbers(w)
		ls, le := numbers(l)
		if we != nil || le != nil {
			return StatusLow
		}
		if ls[1]-ls[0] >= ws[1]-ws[0] {
			return StatusOK
		}
		return StatusLow
	}
	for i := range w {
		if st := compareField(mode, w[i], l[i]); st != StatusOK {
			return st
		}
	}
	return StatusOK
}

func compareField(mode, w, l string) string {
	wn, werr := parseNumber(w)
	ln, lerr := parseNumber(l)
	if werr != nil || lerr != nil {
		if strings.EqualFold(w, l) {
			return StatusOK
		}
		return StatusLow
	}
	switch {
	case ln < wn && mode != CompareMax:
		return StatusLow
	case ln > wn && mode != CompareMin:
		return StatusHigh
	}
	return StatusOK
}

func normalize(s string) string { return strings.TrimSpace(strings.Trim(strings.TrimSpace(s), "'\"")) }

func numbers(fs []string) ([]float64, error) {
	out := make([]float64, len(fs))
	for i, f := range fs {
		n, err := parseNumber(f)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// parseNumber reads a number, or a size with a Postgres (kB, MB, GB, TB) or
// Redis (kb, mb, gb; k, m, g are powers of ten) unit, as bytes.
func parseNumber(s string) (float64, error) {
	units := []struct {
		suffix string
		mult   float64
	}{{"tb", 1 << 40}, {"gb", 1 << 30}, {"mb", 1 << 20}, {"kb", 1 << 10}, {"g", 1e9}, {"m", 1e6}, {"k", 1e3}}
	t := strings.ToLower(s)
	mult := 1.0
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSuffix(t, u.suffix), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	return f * mult, err
}
