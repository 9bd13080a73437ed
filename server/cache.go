package server

import (
	"context"
	"time"
)

// DefaultCacheTTL is CACHE_TTL's one default: the lifetime of every cached
// read, and of an entry Set with ttl <= 0. The providers and the HTTP layer
// name it for their zero Config; the command always passes CACHE_TTL.
const DefaultCacheTTL = 5 * time.Minute

// Cache stores opaque values with a TTL. Get answers (nil, false, nil) on a
// miss; the returned slice must not be modified by the caller. A ttl <= 0
// means the provider's default (CACHE_TTL). Delete of a missing key is not an
// error. An unreachable backend answers an error wrapping EUNAVAILABLE;
// callers fail open (read-through goes to the source).
type Cache interface {
	Get(ctx context.Context, key string) ([]byte, bool, error)
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	Delete(ctx context.Context, keys ...string) error
}

// CacheStats are a provider's counters since start. LocalHits are hits
// served from process memory (all hits for the memory provider; client-side
// cache hits for Redis); RemoteHits were served by a round trip.
type CacheStats struct {
	LocalHits  uint64
	RemoteHits uint64
	Misses     uint64
	Evictions  uint64
	Entries    int64 // entries held in process memory now
}

// CacheStatser is the optional ability to report CacheStats.
type CacheStatser interface {
	CacheStats() CacheStats
}

// Pinger is the optional ability of a provider (cache, queue, bus, store) to
// check its backend for /health; it must not count as a cache hit or miss.
type Pinger interface {
	Ping(ctx context.Context) error
}
