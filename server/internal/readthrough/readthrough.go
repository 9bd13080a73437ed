// Package readthrough is the guide's @Cached: a read-through helper over a
// server.Cache. A hit returns the cached bytes; concurrent misses on one key
// cause one load (singleflight) whose result is stored with the given TTL.
// The cache is an optimisation, never a dependency: when its Get or Set fails
// the value is loaded from the source and the request succeeds (fail open);
// such failures are counted in Errors. A load that follows a failed Get does
// not try to Set. The cache provider must bound its own calls with timeouts:
// every miss waits for one Get.
package readthrough

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/internal/singleflight"
)

// Loader loads a value from the source of truth (usually Postgres) on a miss.
type Loader func(ctx context.Context) ([]byte, error)

// TTLLoader is a Loader that also says how long its value is kept, e.g. a
// "no such thing" marker for a few seconds and a found value for minutes
// (ttl <= 0: the cache's default).
type TTLLoader func(ctx context.Context) (v []byte, ttl time.Duration, err error)

// Group reads through one cache. It is safe for concurrent use.
type Group struct {
	cache  server.Cache
	flight singleflight.Group[[]byte]
	errs   atomic.Uint64
	loads  atomic.Uint64
	// epoch moves on every Invalidate; a load that started under an older
	// epoch still answers its callers but does not store its (possibly
	// stale) result.
	epoch atomic.Uint64
}

// New returns a Group reading through c.
func New(c server.Cache) *Group { return &Group{cache: c} }

// Get returns the value for key: from the cache on a hit, else from load,
// storing the result with ttl (ttl <= 0: the cache's default). Concurrent
// misses on one key share one load. The load runs with ctx's values and
// deadline but not its cancellation, so one caller going away does not fail
// the others; each caller still returns ctx.Err() as soon as its own ctx
// ends. A load error is returned to every caller sharing it and not cached.
func (g *Group) Get(ctx context.Context, key string, ttl time.Duration, load Loader) ([]byte, error) {
	v, ok, err := g.cache.Get(ctx, key)
	if err != nil {
		g.errs.Add(1)
	} else if ok {
		return v, nil
	}
	withTTL := func(ctx context.Context) ([]byte, time.Duration, error) {
		v, err := load(ctx)
		return v, ttl, err
	}
	v, err, _ = g.flight.DoContext(ctx, key, g.loadFunc(ctx, key, withTTL, err == nil))
	return v, err
}

// GetTTL is Get with a loader that picks the TTL of each value it loads.
func (g *Group) GetTTL(ctx context.Context, key string, load TTLLoader) ([]byte, error) {
	v, ok, err := g.cache.Get(ctx, key)
	if err != nil {
		g.errs.Add(1)
	} else if ok {
		return v, nil
	}
	v, err, _ = g.flight.DoContext(ctx, key, g.loadFunc(ctx, key, load, err == nil))
	return v, err
}

// loadFunc returns the flight body for key: load detached from the caller's
// cancellation (deadline kept), then Set unless invalidated meanwhile or
// store is false (the cache Get just failed: the cache is likely down, and a
// Set waiting for its timeout would only delay every caller of the flight).
func (g *Group) loadFunc(ctx context.Context, key string, load TTLLoader, store bool) func() ([]byte, error) {
	epoch := g.epoch.Load()
	return func() ([]byte, error) {
		lctx := context.WithoutCancel(ctx)
		if dl, ok := ctx.Deadline(); ok {
			var cancel context.CancelFunc
			lctx, cancel = context.WithDeadline(lctx, dl)
			defer cancel()
		}
		g.loads.Add(1)
		v, ttl, err := load(lctx)
		if err != nil {
			return nil, err
		}
		if !store || g.epoch.Load() != epoch {
			return v, nil
		}
		if err := g.cache.Set(lctx, key, v, ttl); err != nil {
			g.errs.Add(1)
		}
		return v, nil
	}
}

// Invalidate deletes keys from the cache after a write to the source. Loads
// in flight when it is called still answer their waiting callers, but their
// results are not stored and later callers start a fresh load. The error is
// the cache's (callers may log it; the TTL bounds staleness).
func (g *Group) Invalidate(ctx context.Context, keys ...string) error {
	g.epoch.Add(1)
	for _, k := range keys {
		g.flight.Forget(k)
	}
	if err := g.cache.Delete(ctx, keys...); err != nil {
		g.errs.Add(1)
		return fmt.Errorf("cannot invalidate cache keys: %w", err)
	}
	return nil
}

// Errors returns how many cache Get, Set or Delete calls failed (and were
// failed open) since New.
func (g *Group) Errors() uint64 { return g.errs.Load() }

// Loads returns how many times a Loader ran since New.
func (g *Group) Loads() uint64 { return g.loads.Load() }
