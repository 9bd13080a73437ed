package redis

import (
	"sync"
	"sync/atomic"
	"time"
)

// clockResolution is how often the coarse clock advances: a client-side
// entry may be served up to this much (more when the process is starved)
// past its expiry, never dropped early.
const clockResolution = time.Millisecond

// coarseClock is a process-wide clock read with one atomic load instead of a
// time.Now call (tens of ns on this machine), after VictoriaMetrics'
// lib/fasttime. Its goroutine starts with the first client and runs for the
// life of the process.
var coarseClock struct {
	once sync.Once
	now  atomic.Int64 // unix milliseconds
}

func startClock() {
	coarseClock.once.Do(func() {
		coarseClock.now.Store(time.Now().UnixMilli())
		go func() {
			t := time.NewTicker(clockResolution)
			for now := range t.C {
				coarseClock.now.Store(now.UnixMilli())
			}
		}()
	})
}

// nowMilli returns the coarse time in unix milliseconds.
func nowMilli() int64 { return coarseClock.now.Load() }
