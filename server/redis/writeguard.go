package redis

import (
	"sync"
	"sync/atomic"

	"github.com/echosenseix/echosenseix/server/internal/fasttime"
)

// writeGuardWindow is how long, in milliseconds, after a Set or Delete on
// this instance the key is read with a plain GET instead of from the
// client-side cache: the invalidation of the local copy comes back on the
// connection that read the key, which may be another one than the write's.
const writeGuardWindow = 1000

// writeGuardSweepAt is the number of marks past which mark drops ended ones.
const writeGuardSweepAt = 4096

// writeGuard remembers keys this instance wrote recently. Its fast path
// (nothing written within the window) is one atomic load.
type writeGuard struct {
	until atomic.Int64 // coarse unix ms when the newest mark ends; 0 = none
	mu    sync.Mutex
	keys  map[string]int64
}

// mark notes a write of key now.
func (g *writeGuard) mark(key string) {
	now := fasttime.UnixMilli()
	end := now + writeGuardWindow
	g.mu.Lock()
	if g.keys == nil || g.until.Load() < now {
		g.keys = make(map[string]int64) // everything older has ended
	} else if len(g.keys) >= writeGuardSweepAt {
		for k, e := range g.keys {
			if e <= now {
				delete(g.keys, k)
			}
		}
	}
	g.keys[key] = end
	g.until.Store(end)
	g.mu.Unlock()
}

// dirty reports whether key was written on this instance within the window.
func (g *writeGuard) dirty(key string) bool {
	u := g.until.Load()
	if u == 0 {
		return false
	}
	now := fasttime.UnixMilli()
	if now >= u {
		g.until.CompareAndSwap(u, 0)
		return false
	}
	g.mu.Lock()
	end, ok := g.keys[key]
	g.mu.Unlock()
	return ok && now < end
}
