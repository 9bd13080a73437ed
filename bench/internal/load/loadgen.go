package load

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/echosenseix/echosenseix/loadtests/loadgen"
)

// Loadgen drives the project's own closed-loop generator
// (loadtests/loadgen.RunFixed) in process. It runs one path per target
// (fixed GETs or per-request bodies); cycling several paths needs Raw or Wrk.
type Loadgen struct{}

// Name implements Driver.
func (Loadgen) Name() string { return "loadgen" }

// CanRun implements Driver.
func (Loadgen) CanRun(t Target) bool { return len(t.Paths) == 1 }

// Run implements Driver.
func (Loadgen) Run(ctx context.Context, t Target) (Result, error) {
	cfg := loadgen.FixedConfig{URL: "http://" + t.Addr + t.Paths[0], Method: t.Method, Header: toHeader(t.Header),
		Conns: t.Conns, Duration: t.Duration, Timeout: 10 * time.Second}
	if t.Body != nil {
		if cfg.Method == "" {
			cfg.Method = http.MethodPost
		}
		cfg.BodyFunc = func(conn int, seq uint64) ([]byte, http.Header) {
			body, extra := t.Body(conn, seq)
			return body, toHeader(extra)
		}
	}
	r, err := loadgen.RunFixed(ctx, cfg)
	if r == nil {
		return Result{}, err
	}
	out := Result{Requests: r.Requests, Elapsed: time.Duration(r.Seconds * float64(time.Second)),
		GenCPU: time.Duration(r.GeneratorCPUSeconds * float64(time.Second)),
		P50:    ms(r.Latency.P50), P90: ms(r.Latency.P90), P99: ms(r.Latency.P99)}
	for kind, n := range r.ErrorKinds {
		if strings.HasPrefix(kind, "status_") {
			out.Non2xx += n
		} else {
			out.Errors += n
		}
	}
	// loadgen counts failed sockets as requests too; keep Requests = answered.
	out.Requests -= out.Errors
	return out, err
}

func ms(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

func toHeader(lines []string) http.Header {
	if len(lines) == 0 {
		return nil
	}
	h := http.Header{}
	for _, l := range lines {
		name, value, _ := strings.Cut(l, ":")
		h.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	return h
}
