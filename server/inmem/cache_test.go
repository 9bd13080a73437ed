package inmem

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/cachetest"
)

func TestCacheContract(t *testing.T) {
	for _, shards := range []int{1, 16} {
		t.Run(fmt.Sprintf("shards=%d", shards), func(t *testing.T) {
			cachetest.Run(t, func(testing.TB) server.Cache {
				return NewCache(CacheConfig{MaxSize: 1000, Shards: shards})
			})
		})
	}
}

func TestCacheAutoShards(t *testing.T) {
	tests := []struct{ maxSize, procs, want int }{
		{10000, 1, 1}, {10000, 2, 1}, {100, 8, 1}, {10000, 4, 16}, {10000, 64, 64},
	}
	for _, tt := range tests {
		if got := autoShards(tt.maxSize, tt.procs); got != tt.want {
			t.Errorf("autoShards(%d, %d): got %d; want %d", tt.maxSize, tt.procs, got, tt.want)
		}
	}
}

func TestCacheConfigDefaults(t *testing.T) {
	tests := []struct {
		in   CacheConfig
		want CacheConfig
	}{
		{CacheConfig{Shards: 16}, CacheConfig{MaxSize: 10000, TTL: 5 * time.Minute, Shards: 16}},
		{CacheConfig{MaxSize: 100}, CacheConfig{MaxSize: 100, TTL: 5 * time.Minute, Shards: 1}},
		{CacheConfig{MaxSize: 5000, TTL: time.Second, Shards: 5}, CacheConfig{MaxSize: 5000, TTL: time.Second, Shards: 8}},
	}
	for _, tt := range tests {
		if got := tt.in.withDefaults(); got != tt.want {
			t.Errorf("%+v.withDefaults(): got %+v; want %+v", tt.in, got, tt.want)
		}
	}
}

// TestCacheLRU: with one shard and room for 3, a Get or an overwrite
// refreshes recency, so the entry evicted is the least recently used, not
// the oldest inserted.
func TestCacheLRU(t *testing.T) {
	tests := []struct {
		name    string
		touch   func(c *Cache)
		present []string
		absent  []string
	}{
		{"get refreshes", func(c *Cache) { _, _, _ = c.Get(context.Background(), "a") }, []string{"a", "c", "d"}, []string{"b"}},
		{"set refreshes", func(c *Cache) { mustSet(t, c, "a", 0) }, []string{"a", "c", "d"}, []string{"b"}},
		{"no touch", func(*Cache) {}, []string{"b", "c", "d"}, []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewCache(CacheConfig{MaxSize: 3})
			for _, k := range []string{"a", "b", "c"} {
				mustSet(t, c, k, 0)
			}
			tt.touch(c)
			mustSet(t, c, "d", 0) // evicts the least recently used
			st := c.CacheStats()
			if st.Evictions != 1 || st.Entries != 3 {
				t.Errorf("got evictions=%d entries=%d; want 1 and 3", st.Evictions, st.Entries)
			}
			for _, k := range tt.absent {
				if _, ok, _ := c.Get(context.Background(), k); ok {
					t.Errorf("Get(%q): got present; want evicted", k)
				}
			}
			for _, k := range tt.present {
				if _, ok, _ := c.Get(context.Background(), k); !ok {
					t.Errorf("Get(%q): got evicted; want present", k)
				}
			}
		})
	}
}

// TestCacheMaxSizeSharded: the bound holds in total with many shards.
func TestCacheMaxSizeSharded(t *testing.T) {
	c := NewCache(CacheConfig{MaxSize: 2000, Shards: 16})
	for i := range 10000 {
		mustSet(t, c, fmt.Sprint("k", i), 0)
	}
	st := c.CacheStats()
	if st.Entries > 2000 || st.Entries < 1900 {
		t.Errorf("entries: got %d; want <= 2000 and close to it", st.Entries)
	}
	if st.Evictions != uint64(10000-st.Entries) {
		t.Errorf("evictions: got %d; want %d", st.Evictions, 10000-st.Entries)
	}
}

func TestCacheDefaultTTLFromConfig(t *testing.T) {
	c := NewCache(CacheConfig{MaxSize: 10, TTL: 50 * time.Millisecond})
	ctx := context.Background()
	mustSet(t, c, "k", 0)
	mustSet(t, c, "long", time.Hour)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, ok, _ := c.Get(ctx, "k"); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("entry set with ttl 0 still present after 5s; want the 50ms default TTL")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, ok, _ := c.Get(ctx, "long"); !ok {
		t.Fatal("entry with explicit 1h TTL expired")
	}
	if st := c.CacheStats(); st.Entries != 1 || st.Evictions != 0 {
		t.Fatalf("got entries=%d evictions=%d; want 1 and 0 (expiry is not eviction)", st.Entries, st.Evictions)
	}
}

func TestCacheHitAllocs(t *testing.T) {
	for _, shards := range []int{1, 16} {
		c := NewCache(CacheConfig{MaxSize: 2048, Shards: shards})
		ctx := context.Background()
		mustSet(t, c, "agent:123", time.Hour)
		got := testing.AllocsPerRun(1000, func() {
			if _, ok, _ := c.Get(ctx, "agent:123"); !ok {
				panic("miss")
			}
		})
		if got != 0 {
			t.Errorf("shards=%d: got %v allocs per hit; want 0", shards, got)
		}
	}
}

func mustSet(tb testing.TB, c *Cache, key string, ttl time.Duration) {
	tb.Helper()
	if err := c.Set(context.Background(), key, []byte("v:"+key), ttl); err != nil {
		tb.Fatal(err)
	}
}
