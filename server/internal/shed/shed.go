// Package shed is the adaptive concurrency limit of the HTTP server: the
// requests allowed to run at once follow the latency they see, so that at
// overload the excess is refused at once (503) instead of queueing until
// every request is late and memory runs out.
//
// The limit is AIMD on latency, after Netflix's concurrency-limits
// (Gradient2) and go-zero's adaptive shedder, anchored on an absolute
// target so that a sustained overload cannot ratchet it up: every window
// (100 ms with at least 16 samples) the average latency of the requests
// that finished in it is compared with the target, max(Target, 2 x the
// lowest window average of the last minute), capped at MaxTarget. Above
// the target the limit is multiplied by the gradient target/average (at
// least 0.5) after being lowered to the peak in flight; at or below it, and when the requests in flight reached half
// the limit (so that an idle server does not grow a limit it never tests),
// it grows by its square root (Gradient2's queue allowance), up to Max.
// The limit starts at Max: a closed-loop load that saturates the CPU at
// an acceptable latency (a benchmark) never sees a refusal; an open-loop
// load past capacity, whose latency would grow without bound, is cut back
// to what the server can answer within the target.
//
// The fast path is two atomic adds on acquire and three on release, plus
// a coarse-clock read; one request per window takes a mutex to update.
package shed

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/echosenseix/echosenseix/server/internal/fasttime"
)

// Defaults of Config's zero fields.
const (
	DefaultTarget    = 100 * time.Millisecond
	DefaultMaxTarget = time.Second
	DefaultMax       = 4096
	DefaultMin       = 8
	DefaultWindow    = 100 * time.Millisecond
	// minSamples is the fewest samples a window averages; a window with
	// fewer is extended.
	minSamples = 16
	// history is how many seconds the baseline (lowest window average)
	// looks back.
	history = 60
	// tolerance is how far above the baseline the average may go.
	tolerance = 2.0
)

// Config tunes a Limiter; zero fields take the defaults.
type Config struct {
	Target    time.Duration // average latency always allowed; default 100 ms
	MaxTarget time.Duration // the target never exceeds this; default 1 s
	Max       int           // largest (and first) limit; default 4096
	Min       int           // smallest limit; default 8
	Window    time.Duration // update period; default 100 ms
}

// Limiter is the adaptive concurrency limit. Its methods are safe for
// concurrent use.
type Limiter struct {
	cfg Config

	inflight atomic.Int64
	limit    atomic.Int64
	peak     atomic.Int64 // most in flight since the last update
	sumNs    atomic.Int64 // latency of the requests finished in the window
	count    atomic.Int64
	next     atomic.Int64 // unix ns: the window ends
	refused  atomic.Uint64

	mu    sync.Mutex
	limf  float64          // the limit, unrounded; guarded by mu
	mins  [history]float64 // lowest window average (ns) per second; guarded by mu
	secs  [history]int64   // the unix second each mins slot holds; guarded by mu
	clock func() int64     // unix ns; fasttime by default
}

// New returns a limiter starting at cfg.Max.
func New(cfg Config) *Limiter {
	if cfg.Target <= 0 {
		cfg.Target = DefaultTarget
	}
	if cfg.MaxTarget <= 0 {
		cfg.MaxTarget = DefaultMaxTarget
	}
	cfg.MaxTarget = max(cfg.MaxTarget, cfg.Target)
	if cfg.Max <= 0 {
		cfg.Max = DefaultMax
	}
	if cfg.Min <= 0 {
		cfg.Min = DefaultMin
	}
	cfg.Min = min(cfg.Min, cfg.Max)
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	fasttime.Start()
	l := &Limiter{cfg: cfg, limf: float64(cfg.Max), clock: fasttime.UnixNano}
	l.limit.Store(int64(cfg.Max))
	l.next.Store(l.clock() + int64(cfg.Window))
	return l
}

// Acquire admits a request: it answers its start time (pass it to
// Release when the request is answered), or 0 when the limit is reached
// and the request must be refused.
func (l *Limiter) Acquire() int64 {
	n := l.inflight.Add(1)
	if n > l.limit.Load() {
		l.inflight.Add(-1)
		l.refused.Add(1)
		return 0
	}
	if n > l.peak.Load() {
		l.peak.Store(n) // racy maximum: close enough for "reached half"
	}
	return max(l.clock(), 1)
}

// Release ends a request admitted at start.
func (l *Limiter) Release(start int64) {
	now := l.clock()
	l.inflight.Add(-1)
	l.sumNs.Add(now - start)
	l.count.Add(1)
	if now >= l.next.Load() && l.mu.TryLock() {
		l.update(now)
		l.mu.Unlock()
	}
}

// Limit answers the current limit.
func (l *Limiter) Limit() int { return int(l.limit.Load()) }

// InFlight answers the requests running now.
func (l *Limiter) InFlight() int { return int(l.inflight.Load()) }

// Refused answers how many requests Acquire refused.
func (l *Limiter) Refused() uint64 { return l.refused.Load() }

// update closes the window ending at now. l.mu held.
func (l *Limiter) update(now int64) {
	if now < l.next.Load() {
		return // another release updated it
	}
	n := l.count.Load()
	if n < minSamples {
		return // extend the window
	}
	sum := l.sumNs.Swap(0)
	n = l.count.Swap(0)
	peak := l.peak.Swap(l.inflight.Load())
	l.next.Store(now + int64(l.cfg.Window))
	if n <= 0 {
		return
	}
	avg := float64(sum) / float64(n)
	target := l.target(now, avg)
	switch {
	case avg > target:
		// The limit above the peak in flight was never tested: cut from the
		// peak, so that a limit starting at Max reaches the load at once.
		l.limf = min(l.limf, float64(max(peak, 1))) * max(0.5, target/avg)
	case float64(peak) >= l.limf/2:
		l.limf += math.Sqrt(l.limf)
	}
	l.limf = min(max(l.limf, float64(l.cfg.Min)), float64(l.cfg.Max))
	l.limit.Store(int64(l.limf))
}

// target records avg in the baseline and answers the latency allowed now:
// Target, or tolerance x the lowest window average of the last minute
// when that is higher, at most MaxTarget.
func (l *Limiter) target(now int64, avg float64) float64 {
	sec := now / int64(time.Second)
	i := sec % history
	if l.secs[i] != sec || avg < l.mins[i] {
		if l.secs[i] != sec {
			l.mins[i] = avg
		} else {
			l.mins[i] = min(l.mins[i], avg)
		}
		l.secs[i] = sec
	}
	base := math.Inf(1)
	for j := range l.mins {
		if sec-l.secs[j] < history {
			base = min(base, l.mins[j])
		}
	}
	t := max(float64(l.cfg.Target), tolerance*base)
	return min(t, float64(l.cfg.MaxTarget))
}
