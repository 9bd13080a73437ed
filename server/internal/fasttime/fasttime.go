// Package fasttime is a process-wide coarse clock read with one atomic load
// instead of a time.Now call (tens of ns on this machine against under one),
// after VictoriaMetrics' lib/fasttime. It advances every Resolution and only
// lags (more when the process is starved), so callers use it to decide that
// something has expired (late, never early) and never to compute an expiry
// time (which would then be early). Its goroutine starts with the first
// Start call and runs for the life of the process.
package fasttime

import (
	"sync"
	"sync/atomic"
	"time"
)

// Resolution is how often the clock advances.
const Resolution = time.Millisecond

var clock struct {
	once sync.Once
	now  atomic.Int64 // unix nanoseconds
}

// Start starts the clock once; later calls return at once.
func Start() {
	clock.once.Do(func() {
		clock.now.Store(time.Now().UnixNano())
		go func() {
			t := time.NewTicker(Resolution)
			for now := range t.C {
				clock.now.Store(now.UnixNano())
			}
		}()
	})
}

// UnixNano returns the coarse time in unix nanoseconds. Start must have
// been called.
func UnixNano() int64 { return clock.now.Load() }

// UnixMilli returns the coarse time in unix milliseconds. Start must have
// been called.
func UnixMilli() int64 { return clock.now.Load() / int64(time.Millisecond) }
