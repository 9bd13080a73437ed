package load

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/echosenseix/echosenseix/internal/hist"
	"github.com/echosenseix/echosenseix/internal/proc"
	"github.com/echosenseix/echosenseix/internal/rawhttp"
)

// Raw is the in-process driver: one goroutine per connection over a raw
// socket (internal/rawhttp, the load generator's client), a pre-built
// request per send. Its CPU is this process's.
type Raw struct {
	// Timeout bounds one request; a timed-out connection is redialled.
	// Default 10 s.
	Timeout time.Duration
}

// Name implements Driver.
func (Raw) Name() string { return "raw" }

// CanRun implements Driver.
func (Raw) CanRun(t Target) bool { return len(t.Paths) > 0 }

// Run implements Driver.
func (d Raw) Run(ctx context.Context, t Target) (Result, error) {
	if t.Conns <= 0 || t.Duration <= 0 || len(t.Paths) == 0 {
		return Result{}, fmt.Errorf("cannot run load: conns %d, duration %v, %d paths", t.Conns, t.Duration, len(t.Paths))
	}
	build := builder(t)
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, t.Duration)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		total    = hist.New()
		requests atomic.Int64
		non2xx   atomic.Int64
		errs     atomic.Int64
	)
	cpu0 := proc.SelfCPU()
	start := time.Now()
	for c := 0; c < t.Conns; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			w := &rawConn{addr: t.Addr, build: build, conn: c, timeout: timeout, h: hist.New()}
			w.loop(ctx)
			requests.Add(w.requests)
			non2xx.Add(w.non2xx)
			errs.Add(w.errors)
			mu.Lock()
			total.Merge(w.h)
			mu.Unlock()
		}(c)
	}
	wg.Wait()
	r := Result{Requests: requests.Load(), Non2xx: non2xx.Load(), Errors: errs.Load(),
		Elapsed: time.Since(start), GenCPU: proc.SelfCPU() - cpu0,
		P50: quantile(total, 0.50), P90: quantile(total, 0.90), P99: quantile(total, 0.99)}
	return r, nil
}

// rawConn is one connection's loop over a rawhttp.Conn.
type rawConn struct {
	addr    string
	build   func([]byte, int, uint64) []byte
	conn    int
	timeout time.Duration

	buf      []byte
	seq      uint64
	h        *hist.Histogram
	requests int64
	non2xx   int64
	errors   int64
}

// loop sends requests until ctx ends (its deadline also ends a request in
// flight, which is then not counted).
func (w *rawConn) loop(ctx context.Context) {
	c := rawhttp.NewConn(rawhttp.Target{Addr: w.addr}, w.timeout)
	defer c.Close()
	for ctx.Err() == nil {
		w.buf = w.build(w.buf[:0], w.conn, w.seq)
		w.seq++
		start := time.Now()
		resp, err := c.Do(ctx, w.buf, false)
		if ended(ctx) {
			return
		}
		if err != nil {
			w.errors++
			select { // back off a little so a refusing server is not spun on
			case <-ctx.Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		w.h.Record(time.Since(start))
		w.requests++
		if resp.Status < 200 || resp.Status > 299 {
			w.non2xx++
		}
	}
}

// ended reports whether ctx is done or past its deadline: a read cut by
// the deadline may return before ctx's own timer has fired.
func ended(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

// quantile is h's q-quantile as a duration.
func quantile(h *hist.Histogram, q float64) time.Duration {
	return time.Duration(h.Quantile(q) * float64(time.Microsecond))
}
