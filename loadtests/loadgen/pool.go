package loadgen

import (
	"context"
	"sync"
	"time"
)

// job is one request for a pool: its bytes, its type, the time it was meant
// to start (latency is measured from there), and an optional callback.
type job struct {
	req      []byte
	typ      string
	intended time.Time
	capture  bool
	done     func(sh *Shard, resp Response, err error, end time.Time)
}

// pool is a fixed set of keep-alive connections serving jobs from a queue:
// when every connection is busy, jobs wait and the wait counts in their
// latency.
type pool struct {
	jobs chan job
	wg   sync.WaitGroup
}

// startPool starts n connection goroutines to t (local addresses round
// robin) recording into col.
func startPool(ctx context.Context, col *Collector, t Target, localAddrs []string, n int, timeout time.Duration, queue int) *pool {
	p := &pool{jobs: make(chan job, queue)}
	for i := 0; i < n; i++ {
		tt := t
		if len(localAddrs) > 0 {
			tt.LocalAddr = localAddrs[i%len(localAddrs)]
		}
		p.wg.Add(1)
		go p.serve(ctx, col, NewConn(tt, timeout))
	}
	return p
}

func (p *pool) serve(ctx context.Context, col *Collector, c *Conn) {
	defer p.wg.Done()
	defer c.Close()
	sh := col.Shard()
	connected := false
	runEnd, hasEnd := ctx.Deadline()
	for {
		select {
		case <-ctx.Done():
			if connected {
				col.Conns.Add(-1)
			}
			return
		case j := <-p.jobs:
			resp, err := c.Do(ctx, j.req, j.capture)
			end := time.Now()
			if err != nil && (ctx.Err() != nil || hasEnd && !end.Before(runEnd)) {
				continue // cut off by the end of the run, not a failure
			}
			if now := c.Connected(); now != connected {
				connected = now
				if now {
					col.Conns.Add(1)
				} else {
					col.Conns.Add(-1)
				}
			}
			sh.Record(j.typ, j.intended, end, outcome(resp, err))
			if j.done != nil {
				j.done(sh, resp, err, end)
			}
		}
	}
}

// outcome is the error kind of a request ("" when it succeeded).
func outcome(resp Response, err error) string {
	if err != nil {
		return ErrorKind(err)
	}
	if resp.Status >= 400 {
		return statusKind(resp.Status)
	}
	return ""
}

// submit queues j, or drops it when ctx ends first.
func (p *pool) submit(ctx context.Context, j job) bool {
	select {
	case p.jobs <- j:
		return true
	case <-ctx.Done():
		return false
	}
}

// wait waits for the connection goroutines (they stop when ctx ends), then
// counts the jobs still queued that were due more than timeout ago as
// timeouts: they would have failed anyway, and dropping them silently would
// hide an overloaded server.
func (p *pool) wait(col *Collector, timeout time.Duration) {
	p.wg.Wait()
	sh := col.Shard()
	now := time.Now()
	for {
		select {
		case j := <-p.jobs:
			if now.Sub(j.intended) > timeout {
				sh.Record(j.typ, j.intended, now, ErrTimeout)
			}
		default:
			return
		}
	}
}
