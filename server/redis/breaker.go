package redis

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// Breaker settings: after breakerThreshold consecutive transport failures
// the breaker opens and every call fails at once for breakerOpenFor; then
// one probe call at a time is let through until one succeeds.
const (
	breakerThreshold = 3
	breakerOpenFor   = time.Second
)

// errBreakerOpen is the cause of calls refused while the breaker is open.
var errBreakerOpen = errors.New("redis circuit breaker open after consecutive failures")

// breaker is a consecutive-failure circuit breaker. Its closed-state fast
// path is one atomic load.
type breaker struct {
	fails     atomic.Int32
	openUntil atomic.Int64 // unix nanoseconds; 0 = closed
	probing   atomic.Bool
}

// allow reports whether a call may go to Redis now.
func (b *breaker) allow() bool {
	u := b.openUntil.Load()
	if u == 0 {
		return true
	}
	if time.Now().UnixNano() < u {
		return false
	}
	return b.probing.CompareAndSwap(false, true) // half-open: one probe
}

// record notes the outcome of an allowed call; err is a transport error or
// nil (Redis answered, even with an error reply).
func (b *breaker) record(err error) {
	if err == nil || errors.Is(err, context.Canceled) {
		if b.fails.Load() != 0 || b.openUntil.Load() != 0 {
			b.fails.Store(0)
			b.openUntil.Store(0)
		}
		if b.probing.Load() {
			b.probing.Store(false)
		}
		return
	}
	if b.fails.Add(1) >= breakerThreshold {
		b.openUntil.Store(time.Now().Add(breakerOpenFor).UnixNano())
	}
	b.probing.Store(false)
}
