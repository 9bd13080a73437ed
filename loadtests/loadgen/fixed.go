package loadgen

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// FixedConfig configures a closed-loop run: Conns keep-alive connections,
// each sending its next request as soon as the previous answer arrived (like
// wrk). Latency is measured per request from its send.
type FixedConfig struct {
	// URL is an http:// URL. Method defaults to GET.
	URL    string
	Method string
	Header http.Header
	// Body is a fixed body; BodyFunc, when set, builds body and extra
	// headers per request (seq counts from 0 per connection, conn is the
	// connection index), e.g. signed webhooks with unique ids.
	Body     []byte
	BodyFunc func(conn int, seq uint64) ([]byte, http.Header)
	// Conns is the number of connections (default 1).
	Conns int
	// Duration is measured after Warmup (default 10 s; warm-up default 0).
	Duration, Warmup time.Duration
	// Timeout bounds one request (default 10 s).
	Timeout time.Duration
	// LocalAddrs are source IPs used round robin (e.g. 127.0.0.2..9).
	LocalAddrs []string
	// Progress, when set, receives a live line once per second.
	Progress io.Writer
	// ServerPID, when > 0, has its process tree's CPU time measured.
	ServerPID int
	// Metrics, when set, counts every request for the live /metrics.
	Metrics *Metrics
}

func (c *FixedConfig) defaults() {
	if c.Method == "" {
		c.Method = http.MethodGet
	}
	if c.Conns <= 0 {
		c.Conns = 1
	}
	if c.Duration <= 0 {
		c.Duration = 10 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
}

// RunFixed runs a closed-loop load and returns its Result (type "request").
// Errors come back only for setup problems; request failures are counted.
func RunFixed(ctx context.Context, cfg FixedConfig) (*Result, error) {
	cfg.defaults()
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
	var wg sync.WaitGroup
	for i := 0; i < cfg.Conns; i++ {
		tt := t
		if len(cfg.LocalAddrs) > 0 {
			tt.LocalAddr = cfg.LocalAddrs[i%len(cfg.LocalAddrs)]
		}
		wg.Add(1)
		go func(i int, c *Conn) {
			defer wg.Done()
			closedLoop(runCtx, col, c, func(seq uint64) []byte {
				if cfg.BodyFunc == nil {
					return fixedReq
				}
				body, extra := cfg.BodyFunc(i, seq)
				return BuildRequest(cfg.Method, t, uri, joinHeader(cfg.Header, extra), body)
			})
		}(i, NewConn(tt, cfg.Timeout))
	}
	stop := startTicker(runCtx, col, cfg.Progress, func() string { return "fixed" })
	if cfg.Warmup > 0 {
		select {
		case <-time.After(cfg.Warmup):
		case <-runCtx.Done():
		}
	}
	measureStart, cpuW, srvW := time.Now(), SelfCPUSeconds(), ProcessTreeCPUSeconds(cfg.ServerPID)
	wg.Wait()
	stop()
	measured := time.Since(measureStart)
	r := col.Result(fmt.Sprintf("fixed c%d %s %s", cfg.Conns, cfg.Method, cfg.URL), measured)
	r.GeneratorCPUSeconds = SelfCPUSeconds() - cpuW
	if cfg.ServerPID > 0 {
		r.ServerCPUSeconds = ProcessTreeCPUSeconds(cfg.ServerPID) - srvW
	}
	r.Machine = ThisMachine()
	r.Pass = r.Errors == 0
	return r, ctx.Err()
}

// closedLoop sends requests back to back on c until ctx ends.
func closedLoop(ctx context.Context, col *Collector, c *Conn, next func(seq uint64) []byte) {
	defer c.Close()
	sh := col.Shard()
	connected := false
	runEnd, hasEnd := ctx.Deadline()
	for seq := uint64(0); ctx.Err() == nil; seq++ {
		req := next(seq)
		t0 := time.Now()
		resp, err := c.Do(ctx, req, false)
		end := time.Now()
		if err != nil && (ctx.Err() != nil || hasEnd && !end.Before(runEnd)) {
			break // cut off by the end of the run, not a failure
		}
		if now := c.Connected(); now != connected {
			connected = now
			if now {
				col.Conns.Add(1)
			} else {
				col.Conns.Add(-1)
			}
		}
		sh.Record(TypeRequest, t0, end, outcome(resp, err))
		if err != nil && ErrorKind(err) == ErrConnect {
			select { // do not spin on a refused port
			case <-time.After(10 * time.Millisecond):
			case <-ctx.Done():
			}
		}
	}
	if connected {
		col.Conns.Add(-1)
	}
}

func joinHeader(a, b http.Header) http.Header {
	if len(b) == 0 {
		return a
	}
	h := a.Clone()
	if h == nil {
		h = http.Header{}
	}
	for k, v := range b {
		h[k] = append(h[k], v...)
	}
	return h
}
