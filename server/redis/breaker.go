package redis

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// Breaker settings: after breakerThreshold consecutive transport failures
// with no success for breakerQuiet, the breaker opens and every call fails
// at once for breakerOpenFor; then one probe call at a time is let through
// until one succeeds.
//
// breakerQuiet keeps a loaded Redis or a starved process from tripping it:
// there, replies that miss their deadline come in bursts (a connection whose
// reply is late is closed, failing every call pending on it) between calls
// that succeed, and refusing every call for a second, including those that
// would succeed, turned a few slow replies into a second of 503s (the 100k
// load tier lost 602,000 session lookups that way). A Redis that is down or
// stopped answers nothing, so its breaker still opens within breakerQuiet of
// the last success.
const (
	breakerThreshold = 3
	breakerOpenFor   = time.Second
	breakerQuiet     = 250 * time.Millisecond
	// breakerProbeFor is how long a granted probe blocks the next one: a
	// probe whose outcome is never recorded (a caller that returned early)
	// must not keep the breaker open for good.
	breakerProbeFor = 2 * time.Second
)

// errBreakerOpen is the cause of calls refused while the breaker is open.
var errBreakerOpen = errors.New("redis circuit breaker open after consecutive failures")

// breaker is a consecutive-failure circuit breaker. Its closed-state fast
// path is one atomic load.
type breaker struct {
	fails     atomic.Int32
	openUntil atomic.Int64 // unix nanoseconds; 0 = closed
	probeAt   atomic.Int64 // unix nanoseconds when the running probe was granted; 0 = none
	lastOK    atomic.Int64 // unix milliseconds of the last success; 0 = none yet
}

// allow reports whether a call may go to Redis now.
func (b *breaker) allow() bool {
	u := b.openUntil.Load()
	if u == 0 {
		return true
	}
	now := time.Now().UnixNano()
	if now < u {
		return false
	}
	// Half-open: one probe at a time, a new one when the last is overdue.
	p := b.probeAt.Load()
	if p != 0 && now-p < int64(breakerProbeFor) {
		return false
	}
	return b.probeAt.CompareAndSwap(p, now)
}

// record notes the outcome of an allowed call; err is a transport error or
// nil (Redis answered, even with an error reply).
func (b *breaker) record(err error) {
	if err == nil || errors.Is(err, context.Canceled) {
		if err == nil {
			if now := time.Now().UnixMilli(); b.lastOK.Load() != now {
				b.lastOK.Store(now)
			}
		}
		if b.fails.Load() != 0 || b.openUntil.Load() != 0 {
			b.fails.Store(0)
			b.openUntil.Store(0)
		}
		if b.probeAt.Load() != 0 {
			b.probeAt.Store(0)
		}
		return
	}
	if b.fails.Add(1) >= breakerThreshold {
		now := time.Now()
		if now.UnixMilli()-b.lastOK.Load() >= breakerQuiet.Milliseconds() {
			b.openUntil.Store(now.Add(breakerOpenFor).UnixNano())
		}
	}
	b.probeAt.Store(0)
}
