package loadgen

import (
	"github.com/echosenseix/echosenseix/loadtests/tiers"
)

// Exit codes of loadgen.
const (
	ExitPass  = 0 // thresholds held
	ExitFail  = 1 // thresholds missed (or compare found a regression)
	ExitUsage = 2 // usage or setup error
)

// Evaluate judges r against th and records the checks in r.Checks and
// r.Pass: error rate, p95 and p99 of the judged requests, at least one
// judged request, and (with realtime) the share of users whose socket was
// open at the end.
func Evaluate(r *Result, th tiers.Thresholds, realtime bool, users int) {
	r.Checks = []Check{
		{Name: "requests > 0", Limit: 1, Got: float64(r.Requests), Pass: r.Requests > 0},
		{Name: "error rate", Limit: th.MaxErrorRate, Got: r.ErrorRate, Pass: r.ErrorRate <= th.MaxErrorRate},
	}
	if th.P95Ms > 0 {
		r.Checks = append(r.Checks, Check{Name: "p95 ms", Limit: th.P95Ms, Got: r.Latency.P95, Pass: r.Latency.P95 <= th.P95Ms})
	}
	if th.P99Ms > 0 {
		r.Checks = append(r.Checks, Check{Name: "p99 ms", Limit: th.P99Ms, Got: r.Latency.P99, Pass: r.Latency.P99 <= th.P99Ms})
	}
	if realtime && th.MinSocketRatio > 0 && users > 0 {
		got := float64(r.Sockets.OpenAtEnd) / float64(users)
		r.Checks = append(r.Checks, Check{Name: "open sockets / users", Limit: th.MinSocketRatio, Got: got, Pass: got >= th.MinSocketRatio})
	}
	r.Pass = true
	for _, c := range r.Checks {
		r.Pass = r.Pass && c.Pass
	}
}

// ExitCode is ExitPass when r passed, else ExitFail.
func ExitCode(r *Result) int {
	if r.Pass {
		return ExitPass
	}
	return ExitFail
}
