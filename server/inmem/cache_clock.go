package inmem

import (
	"sync"
	"sync/atomic"
	"time"
)

// clockResolution is how often the coarse clock advances. The clock only
// lags (by this much, more when the process is starved), so it is used to
// decide that an entry has expired (late, never early) and never to compute
// an expiry time (which would then be early).
const clockResolution = time.Millisecond

// coarseClock is a process-wide clock read with one atomic load instead of a
// time.Now call (about 44 ns here against 0.4 ns), after VictoriaMetrics'
// lib/fasttime. Its goroutine starts with the first cache and
// runs for the life of the process.
var coarseClock struct {
	once sync.Once
	now  atomic.Int64 // unix nanoseconds
}

// startClock starts the coarse clock once; later calls return at once.
func startClock() {
	coarseClock.once.Do(func() {
		coarseClock.now.Store(time.Now().UnixNano())
		go func() {
			t := time.NewTicker(clockResolution)
			for now := range t.C {
				coarseClock.now.Store(now.UnixNano())
			}
		}()
	})
}

// nowNano returns the coarse time in unix nanoseconds. startClock must have
// been called.
func nowNano() int64 { return coarseClock.now.Load() }
