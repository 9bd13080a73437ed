package proof

import "math"

// Stat is a figure's mean over rounds and its spread.
type Stat struct {
	Mean, Min, Max float64
	N              int
}

func statOf(vs []float64) Stat {
	if len(vs) == 0 {
		return Stat{}
	}
	s := Stat{Min: math.Inf(1), Max: math.Inf(-1), N: len(vs)}
	for _, v := range vs {
		s.Mean += v
		s.Min, s.Max = math.Min(s.Min, v), math.Max(s.Max, v)
	}
	s.Mean /= float64(len(vs))
	return s
}

// Ratio is a/b, NaN when b is 0 (a 0 beside a 0 is 1).
func Ratio(a, b float64) float64 {
	if b == 0 {
		if a == 0 {
			return 1
		}
		return math.NaN()
	}
	return a / b
}

// Measurable reports whether two sets of rounds differ beyond their own
// spread and by more than 5 %: the ranges do not overlap and the means
// differ by more than 5 % of the larger.
func Measurable(a, b Stat) bool {
	overlap := a.Min <= b.Max && b.Min <= a.Max
	big := math.Max(math.Abs(a.Mean), math.Abs(b.Mean))
	return !overlap && math.Abs(a.Mean-b.Mean) > 0.05*big
}

// burstStat answers f over the bursts of one profile.
func burstStat(bs []BurstResult, profile string, f func(BurstResult) float64) Stat {
	var vs []float64
	for _, b := range bs {
		if b.Profile == profile {
			vs = append(vs, f(b))
		}
	}
	return statOf(vs)
}

// pgStat answers the runs of one profile and bench.
func pgStat(rs []PGRun, profile, bench string) Stat {
	var vs []float64
	for _, r := range rs {
		if r.Profile == profile && r.Bench == bench {
			vs = append(vs, r.Value)
		}
	}
	return statOf(vs)
}

// order is the profiles' order in round r: defaults first in even rounds,
// tuned first in odd ones, so a drift of the shared machine does not
// favour one side.
func order(r int) []string {
	if r%2 == 1 {
		return []string{Tuned, Defaults}
	}
	return []string{Defaults, Tuned}
}
