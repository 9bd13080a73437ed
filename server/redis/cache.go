package redis

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/internal/fasttime"
)

var (
	_ server.Cache        = (*Cache)(nil)
	_ server.CacheStatser = (*Cache)(nil)
	_ server.Pinger       = (*Cache)(nil)
)

// Cache is a server.Cache on Redis with server-assisted client-side caching.
// Keys are Prefix+"cache:"+key. A Get first looks in the client's local
// copy (a direct lookup: no round trip, no allocation); on a miss it goes
// through rueidis DoCache (GET with CLIENT TRACKING, TTL at most CacheTTL
// and never past the key's own expiry), which fills the local copy. A Set or
// Delete on any instance makes Redis push an invalidation to every instance
// holding the key, which drops its local copy (typically under a few ms).
// When a connection breaks, the entries it filled are dropped at once, so a
// value cached before an outage is never served after it; while a dead
// connection is not yet noticed (a network partition: up to a second plus
// DeadAfter(ReadTimeout), 3 s with the defaults) local copies are still
// served, as in rueidis itself; one late reply fails its caller only.
//
// An instance reads its own writes at once: a key this instance wrote in
// the last second is read with a plain GET, because the invalidation of its
// local copy may still be in flight on another connection.
//
// Degraded mode: every call fails fast with EUNAVAILABLE when Redis is
// unreachable, and a breaker refuses calls for a second after 3 consecutive
// failures (then lets one probe through), so that goroutines do not pile up.
type Cache struct {
	rc      rueidis.Client
	prefix  string
	ttl     time.Duration
	timeout time.Duration // per round trip
	br      breaker
	guard   writeGuard
	local   *localCache // nil: no direct lookups
	cluster bool        // rc routes by slot

	localHits  [localShards]paddedCounter // by localCache shard: no shared write on the hit path
	remoteHits atomic.Uint64
	misses     atomic.Uint64
}

type paddedCounter struct {
	n atomic.Uint64
	_ [56]byte
}

// NewCache returns a Cache on rc (from NewClient; another rueidis.Client
// works but reports no local Entries). cfg gives Prefix and CacheTTL.
func NewCache(rc rueidis.Client, cfg Config) *Cache {
	cfg = cfg.withDefaults()
	fasttime.Start()
	c := &Cache{rc: rc, prefix: cacheKeyPrefix(cfg), ttl: cfg.CacheTTL, timeout: cfg.ReadTimeout, cluster: isCluster(rc)}
	if l := localCacheOf(rc); l != nil && l.strip == c.prefix {
		c.local = l
	}
	return c
}

// Get answers the value of key, from process memory when it can.
//
// Only round trips ask the breaker: a local hit needs no Redis, and a call
// granted the breaker's half-open probe must record its outcome (a probe
// answered locally would otherwise never be released).
func (c *Cache) Get(ctx context.Context, key string) ([]byte, bool, error) {
	dirty := c.guard.dirty(key)
	if c.local != nil && !dirty {
		if v, shard, ok := c.local.lookup(key); ok {
			return c.hitLocal(v, shard)
		}
	}
	if !c.br.allow() {
		return nil, false, unavailable("cache unavailable", errBreakerOpen)
	}
	k := c.prefix + key
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var resp rueidis.RedisResult
	if dirty {
		resp = c.rc.Do(ctx, c.rc.B().Get().Key(k).Build())
	} else {
		resp = c.rc.DoCache(ctx, c.rc.B().Get().Key(k).Cache(), c.ttl)
	}
	b, err := resp.AsBytes()
	if err != nil {
		if rueidis.IsRedisNil(err) {
			c.br.record(nil)
			c.misses.Add(1)
			return nil, false, nil
		}
		return nil, false, c.fail("get", err)
	}
	c.br.record(nil)
	if resp.IsCacheHit() {
		c.localHits[0].n.Add(1)
	} else {
		c.remoteHits.Add(1)
	}
	return b, true, nil
}

// hitLocal answers a reply found in the client-side cache.
func (c *Cache) hitLocal(v rueidis.RedisMessage, shard uint64) ([]byte, bool, error) {
	b, err := v.AsBytes()
	if err != nil { // a cached nil: the key is absent
		c.misses.Add(1)
		return nil, false, nil
	}
	c.localHits[shard].n.Add(1)
	return b, true, nil
}

// Set stores value under key for ttl (ttl <= 0: CacheTTL), to the
// millisecond.
func (c *Cache) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if !c.br.allow() {
		return unavailable("cache unavailable", errBreakerOpen)
	}
	if ttl <= 0 {
		ttl = c.ttl
	}
	k := c.prefix + key
	ms := max(ttl.Milliseconds(), 1)
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	err := c.rc.Do(ctx, c.rc.B().Set().Key(k).Value(rueidis.BinaryString(value)).PxMilliseconds(ms).Build()).Error()
	c.guard.mark(key)
	if err != nil {
		return c.fail("set", err)
	}
	c.br.record(nil)
	return nil
}

// Delete removes keys; every instance's local copy is invalidated.
func (c *Cache) Delete(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	if !c.br.allow() {
		return unavailable("cache unavailable", errBreakerOpen)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	err := c.del(ctx, keys)
	for _, key := range keys {
		c.guard.mark(key)
	}
	if err != nil {
		return c.fail("delete", err)
	}
	c.br.record(nil)
	return nil
}

// del deletes keys in one round trip: one DEL, or on a cluster one DEL per
// key, pipelined (the keys of a Delete are in different slots).
func (c *Cache) del(ctx context.Context, keys []string) error {
	if len(keys) == 1 || !c.cluster {
		ks := make([]string, len(keys))
		for i, key := range keys {
			ks[i] = c.prefix + key
		}
		return c.rc.Do(ctx, c.rc.B().Del().Key(ks...).Build()).Error()
	}
	cmds := make(rueidis.Commands, len(keys))
	for i, key := range keys {
		cmds[i] = c.rc.B().Del().Key(c.prefix + key).Build()
	}
	for _, r := range c.rc.DoMulti(ctx, cmds...) {
		if err := r.Error(); err != nil {
			return err
		}
	}
	return nil
}

// Ping checks Redis; it touches no cache counter.
func (c *Cache) Ping(ctx context.Context) error {
	return ping(ctx, c.rc, &c.br)
}

// CacheStats reports hits served from process memory (LocalHits) and by a
// round trip (RemoteHits), misses, client-side evictions and the entries
// held in process memory now.
func (c *Cache) CacheStats() server.CacheStats {
	st := server.CacheStats{RemoteHits: c.remoteHits.Load(), Misses: c.misses.Load()}
	for i := range c.localHits {
		st.LocalHits += c.localHits[i].n.Load()
	}
	if c.local != nil {
		st.Evictions = c.local.evictions.Load()
		st.Entries = c.local.entries.Load()
	}
	return st
}

// LocalBytes is the approximate size in bytes of the client-side cache now
// (bounded by Config.LocalCacheBytes).
func (c *Cache) LocalBytes() int64 {
	if c.local == nil {
		return 0
	}
	return c.local.bytes.Load()
}

// fail records err in the breaker when it is a transport error and codes it:
// EUNAVAILABLE for transport errors, EINTERNAL for an error reply.
func (c *Cache) fail(op string, err error) error {
	return classify(&c.br, "cache", op, err)
}

// classify codes err of an allowed call and records it in br.
func classify(br *breaker, what, op string, err error) error {
	var re *rueidis.RedisError
	if errors.As(err, &re) {
		br.record(nil)
		return server.WrapError(server.EINTERNAL, what+" error", fmt.Errorf("cannot %s %s: %w", op, what, err))
	}
	br.record(err)
	return unavailable(what+" unavailable", fmt.Errorf("cannot %s %s: %w", op, what, err))
}

// ping sends PING within a bounded time, through br.
func ping(ctx context.Context, rc rueidis.Client, br *breaker) error {
	if !br.allow() {
		return unavailable("redis unavailable", errBreakerOpen)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := rc.Do(ctx, rc.B().Ping().Build()).Error(); err != nil {
		return classify(br, "redis", "ping", err)
	}
	br.record(nil)
	return nil
}
