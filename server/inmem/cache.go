package inmem

import (
	"context"
	"hash/maphash"
	"runtime"
	"sync"
	"time"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/internal/fasttime"
)

// Cache defaults (CACHE_MAX_SIZE's, and CACHE_TTL's from package server).
const (
	DefaultCacheMaxSize = 10000                  // entries
	DefaultCacheTTL     = server.DefaultCacheTTL // per entry, when Set's ttl <= 0
)

// smallCacheSize is the MaxSize below which the automatic shard count is 1,
// so that small caches are one exact LRU.
const smallCacheSize = 1024

// CacheConfig configures a memory Cache. Zero fields take their defaults.
type CacheConfig struct {
	// MaxSize bounds the number of entries (CACHE_MAX_SIZE); adding one
	// more evicts the least recently used entry of its shard. Default 10000.
	MaxSize int
	// TTL is the lifetime of an entry Set with ttl <= 0 (CACHE_TTL).
	// Default DefaultCacheTTL.
	TTL time.Duration
	// Shards splits the cache into independently locked LRUs by key hash
	// (rounded up to a power of two). LRU order and MaxSize then hold per
	// shard (each holds about MaxSize/Shards entries). Default: 1 when
	// MaxSize < 1024 or GOMAXPROCS <= 2, else 4*GOMAXPROCS (at most 64).
	// Measured on 2 cores, one shard was as fast or faster than 16 under
	// RunParallel (the hash costs ~3 ns and the shards' cache lines move
	// between cores as often as the single lock's): sharding is for
	// machines with more cores.
	Shards int
}

// Cache is the memory provider: a true LRU (Get refreshes recency) with a
// TTL per entry and a bounded size, sharded by key hash to cut lock
// contention. A hit makes no allocation and no time.Now call (it reads a
// coarse clock: an entry may outlive its TTL by a few milliseconds, never
// expire early).
// Set copies the value; Get returns the stored slice, which callers must not
// modify. RemoteHits stay 0.
type Cache struct {
	shards []cacheShard
	mask   uint64
	seed   maphash.Seed
	ttl    int64 // default TTL in nanoseconds
}

var (
	_ server.Cache        = (*Cache)(nil)
	_ server.CacheStatser = (*Cache)(nil)
	_ server.Pinger       = (*Cache)(nil)
)

// NewCache returns an empty Cache configured by cfg.
func NewCache(cfg CacheConfig) *Cache {
	cfg = cfg.withDefaults()
	fasttime.Start()
	c := &Cache{
		shards: make([]cacheShard, cfg.Shards),
		mask:   uint64(cfg.Shards - 1),
		seed:   maphash.MakeSeed(),
		ttl:    int64(cfg.TTL),
	}
	for i := range c.shards {
		size := cfg.MaxSize / cfg.Shards
		if i < cfg.MaxSize%cfg.Shards {
			size++
		}
		c.shards[i].init(max(size, 1))
	}
	return c
}

// withDefaults fills zero fields and rounds Shards to a power of two.
func (cfg CacheConfig) withDefaults() CacheConfig {
	if cfg.MaxSize <= 0 {
		cfg.MaxSize = DefaultCacheMaxSize
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultCacheTTL
	}
	if cfg.Shards <= 0 {
		cfg.Shards = autoShards(cfg.MaxSize, runtime.GOMAXPROCS(0))
	}
	n := 1
	for n < cfg.Shards {
		n <<= 1
	}
	cfg.Shards = n
	return cfg
}

// autoShards is the default shard count for a cache of maxSize entries on
// procs cores.
func autoShards(maxSize, procs int) int {
	if maxSize < smallCacheSize || procs <= 2 {
		return 1
	}
	return min(4*procs, 64)
}

// shard returns the shard owning key.
func (c *Cache) shard(key string) *cacheShard {
	if c.mask == 0 {
		return &c.shards[0]
	}
	return &c.shards[maphash.String(c.seed, key)&c.mask]
}

// Get returns the live value for key and marks it most recently used.
func (c *Cache) Get(_ context.Context, key string) ([]byte, bool, error) {
	v, ok := c.shard(key).get(key, fasttime.UnixNano())
	return v, ok, nil
}

// Set stores a copy of value under key for ttl (ttl <= 0: the default TTL).
func (c *Cache) Set(_ context.Context, key string, value []byte, ttl time.Duration) error {
	if ttl <= 0 {
		ttl = time.Duration(c.ttl)
	}
	v := make([]byte, len(value))
	copy(v, value)
	// The expiry is computed from the exact time: the coarse clock lags, and
	// a lagging base would expire the entry early. Get compares with the
	// coarse clock, so an entry may live up to its lag longer, never less.
	c.shard(key).set(key, v, time.Now().UnixNano()+int64(ttl))
	return nil
}

// Delete removes keys; missing keys are ignored.
func (c *Cache) Delete(_ context.Context, keys ...string) error {
	for _, k := range keys {
		c.shard(k).delete(k)
	}
	return nil
}

// CacheStats sums every shard's counters.
func (c *Cache) CacheStats() server.CacheStats {
	var st server.CacheStats
	for i := range c.shards {
		c.shards[i].addStats(&st)
	}
	return st
}

// Len returns the number of entries held, expired ones not yet removed
// included.
func (c *Cache) Len() int { return int(c.CacheStats().Entries) }

// Ping always succeeds: the memory cache has no backend.
func (c *Cache) Ping(context.Context) error { return nil }

// cacheEntry is one LRU node.
type cacheEntry struct {
	key        string
	val        []byte
	exp        int64 // unix nanoseconds
	prev, next *cacheEntry
}

// cacheShard is one locked LRU: a map plus a circular doubly linked list
// around a sentinel (head.next is the most recent entry, head.prev the least).
// Counters are plain integers guarded by mu, so hits do not contend on a
// shared atomic.
type cacheShard struct {
	mu        sync.Mutex
	m         map[string]*cacheEntry
	head      cacheEntry
	max       int
	hits      uint64
	misses    uint64
	evictions uint64
	_         [64]byte // keep neighbouring shards' locks off this cache line
}

func (s *cacheShard) init(max int) {
	s.m = make(map[string]*cacheEntry)
	s.head.next, s.head.prev = &s.head, &s.head
	s.max = max
}

func (s *cacheShard) get(key string, now int64) ([]byte, bool) {
	s.mu.Lock()
	e, ok := s.m[key]
	if !ok || e.exp <= now {
		if ok {
			s.unlink(e)
			delete(s.m, key)
		}
		s.misses++
		s.mu.Unlock()
		return nil, false
	}
	s.moveToFront(e)
	s.hits++
	v := e.val
	s.mu.Unlock()
	return v, true
}

func (s *cacheShard) set(key string, v []byte, exp int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[key]; ok {
		e.val, e.exp = v, exp // never write into the old slice: readers may hold it
		s.moveToFront(e)
		return
	}
	var e *cacheEntry
	if len(s.m) >= s.max {
		e = s.evictOldest() // reuse the node
	} else {
		e = new(cacheEntry)
	}
	e.key, e.val, e.exp = key, v, exp
	s.m[key] = e
	s.pushFront(e)
}

// evictOldest removes the least recently used entry and returns its node.
// An expired victim is not counted as an eviction.
func (s *cacheShard) evictOldest() *cacheEntry {
	e := s.head.prev
	s.unlink(e)
	delete(s.m, e.key)
	if e.exp > fasttime.UnixNano() {
		s.evictions++
	}
	return e
}

func (s *cacheShard) delete(key string) {
	s.mu.Lock()
	if e, ok := s.m[key]; ok {
		s.unlink(e)
		delete(s.m, key)
	}
	s.mu.Unlock()
}

func (s *cacheShard) addStats(st *server.CacheStats) {
	s.mu.Lock()
	st.LocalHits += s.hits
	st.Misses += s.misses
	st.Evictions += s.evictions
	st.Entries += int64(len(s.m))
	s.mu.Unlock()
}

func (s *cacheShard) unlink(e *cacheEntry) {
	e.prev.next = e.next
	e.next.prev = e.prev
	e.prev, e.next = nil, nil
}

func (s *cacheShard) pushFront(e *cacheEntry) {
	e.prev = &s.head
	e.next = s.head.next
	s.head.next.prev = e
	s.head.next = e
}

func (s *cacheShard) moveToFront(e *cacheEntry) {
	if s.head.next == e {
		return
	}
	e.prev.next = e.next
	e.next.prev = e.prev
	s.pushFront(e)
}
