package loadgen

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// RateConfig configures an open-loop run: requests are scheduled at Rate
// per second whatever the server does, and each latency is measured from
// the request's intended start, so a slow server shows up in full (no
// coordinated omission). Requests wait for a free connection of Conns.
type RateConfig struct {
	URL      string
	Method   string // default GET
	Header   http.Header
	Body     []byte
	BodyFunc func(seq uint64) ([]byte, http.Header)
	// Rate is requests per second (required).
	Rate float64
	// Conns caps the connections (default 64).
	Conns int
	// Duration is measured after Warmup (default 10 s).
	Duration, Warmup time.Duration
	Timeout          time.Duration // per request, default 10 s
	LocalAddrs       []string
	Progress         io.Writer
	ServerPID        int
	// Metrics, when set, counts every request for the live /metrics.
	Metrics *Metrics
}

// RunRate runs an open-loop load at cfg.Rate and returns its Result (type
// "request").
func RunRate(ctx context.Context, cfg RateConfig) (*Result, error) {
	if cfg.Rate <= 0 {
		return nil, fmt.Errorf("cannot run at rate %v: want > 0", cfg.Rate)
	}
	if cfg.Method == "" {
		cfg.Method = http.MethodGet
	}
	if cfg.Conns <= 0 {
		cfg.Conns = 64
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 10 * time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	t, uri, err := ParseTarget(cfg.URL)
	if err != nil {
		return nil, err
	}
	fixedReq := BuildRequest(cfg.Method, t, uri, cfg.Header, cfg.Body)
	start := time.Now()
	col := NewCollector(start, cfg.Warmup)
	col.SetMetrics(cfg.Metrics)
	runCtx, cancel := context.WithTimeout(ctx, cfg.Warmup+cfg.Duration)
	defer cancel()
	p := startPool(runCtx, col, t, cfg.LocalAddrs, cfg.Conns, cfg.Timeout, 1<<16)
	stop := startTicker(runCtx, col, cfg.Progress, func() string { return "rate" })
	cpu0, srv0 := SelfCPUSeconds(), ProcessTreeCPUSeconds(cfg.ServerPID)
	Schedule(runCtx, start, cfg.Rate, func(seq uint64, intended time.Time) bool {
		req := fixedReq
		if cfg.BodyFunc != nil {
			body, extra := cfg.BodyFunc(seq)
			req = BuildRequest(cfg.Method, t, uri, joinHeader(cfg.Header, extra), body)
		}
		return p.submit(runCtx, job{req: req, typ: TypeRequest, intended: intended})
	})
	p.wait(col, cfg.Timeout)
	stop()
	r := col.Result(fmt.Sprintf("rate %.0f/s %s %s", cfg.Rate, cfg.Method, cfg.URL), cfg.Duration)
	r.GeneratorCPUSeconds = SelfCPUSeconds() - cpu0
	if cfg.ServerPID > 0 {
		r.ServerCPUSeconds = ProcessTreeCPUSeconds(cfg.ServerPID) - srv0
	}
	r.Machine = ThisMachine()
	r.Pass = r.Errors == 0
	return r, ctx.Err()
}

// Schedule calls fire(seq, intended) for intended = start + seq/rate until
// ctx ends or fire returns false. It never waits for a request: fire must
// hand the work off. Calls that fall behind are made at once with their
// original intended time.
func Schedule(ctx context.Context, start time.Time, rate float64, fire func(seq uint64, intended time.Time) bool) {
	interval := time.Duration(float64(time.Second) / rate)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for seq := uint64(0); ; seq++ {
		intended := start.Add(time.Duration(seq) * interval)
		if wait := time.Until(intended); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		}
		if ctx.Err() != nil || !fire(seq, intended) {
			return
		}
	}
}
