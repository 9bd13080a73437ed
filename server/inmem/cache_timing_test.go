package inmem

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/echosenseix/echosenseix/server/internal/readthrough"
)

// Hot path budgets: a hit makes 0 allocations (TestCacheHitAllocs); a Set
// makes 1 (the value copy) plus 1 for a new node while the cache is not full.

func benchCache(b *testing.B, shards, keys int) (*Cache, []string) {
	c := NewCache(CacheConfig{MaxSize: 2 * keys, Shards: shards})
	ks := make([]string, keys)
	for i := range ks {
		ks[i] = fmt.Sprintf("agent:%08d", i)
		mustSet(b, c, ks[i], time.Hour)
	}
	return c, ks
}

func BenchmarkCacheGetHit(b *testing.B) {
	ctx := context.Background()
	for _, shards := range []int{1, 16} {
		b.Run(fmt.Sprintf("shards=%d/serial", shards), func(b *testing.B) {
			c, ks := benchCache(b, shards, 1024)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, ok, _ := c.Get(ctx, ks[i&1023]); !ok {
					b.Fatal("miss")
				}
				i++
			}
		})
		b.Run(fmt.Sprintf("shards=%d/parallel", shards), func(b *testing.B) {
			c, ks := benchCache(b, shards, 1024)
			b.ReportAllocs()
			var g atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				i := int(g.Add(1) * 7919) // goroutines do not walk the keys in lockstep
				for pb.Next() {
					if _, ok, _ := c.Get(ctx, ks[i&1023]); !ok {
						b.Fatal("miss")
					}
					i++
				}
			})
		})
	}
}

func BenchmarkCacheSet(b *testing.B) {
	ctx := context.Background()
	val := make([]byte, 256)
	for _, shards := range []int{1, 16} {
		b.Run(fmt.Sprintf("shards=%d/serial", shards), func(b *testing.B) {
			c, ks := benchCache(b, shards, 1024)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				_ = c.Set(ctx, ks[i&1023], val, time.Hour)
				i++
			}
		})
		b.Run(fmt.Sprintf("shards=%d/parallel", shards), func(b *testing.B) {
			c, ks := benchCache(b, shards, 1024)
			b.ReportAllocs()
			var g atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				i := int(g.Add(1) * 7919)
				for pb.Next() {
					_ = c.Set(ctx, ks[i&1023], val, time.Hour)
					i++
				}
			})
		})
	}
}

// BenchmarkCacheReadthroughHit is the guide's @Cached hit path: the
// read-through helper over this cache. Allowed: 0 allocations.
func BenchmarkCacheReadthroughHit(b *testing.B) {
	c, ks := benchCache(b, 1, 1024)
	g := readthrough.New(c)
	ctx := context.Background()
	load := func(context.Context) ([]byte, error) { b.Fatal("load on a hit"); return nil, nil }
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := g.Get(ctx, ks[i&1023], time.Hour, load); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkLRUGetHit pairs this cache's hit with the same hit on
// github.com/hashicorp/golang-lru/v2's expirable LRU (the library it would
// be: size-bounded LRU with a TTL), 1024 keys, one shard: the measurement
// the hand-written LRU is kept for.
func BenchmarkLRUGetHit(b *testing.B) {
	ctx := context.Background()
	ours, ks := benchCache(b, 1, 1024)
	lib := expirable.NewLRU[string, []byte](2*len(ks), nil, time.Hour)
	for _, k := range ks {
		lib.Add(k, []byte("v"))
	}
	get := map[string]func(k string) bool{
		"ours":    func(k string) bool { _, ok, _ := ours.Get(ctx, k); return ok },
		"library": func(k string) bool { _, ok := lib.Get(k); return ok },
	}
	for _, mode := range []string{"serial", "parallel"} {
		for _, impl := range []string{"ours", "library"} {
			b.Run(mode+"/"+impl, func(b *testing.B) { runHits(b, mode == "parallel", ks, get[impl]) })
		}
	}
}

// runHits calls hit over ks, serially or from GOMAXPROCS goroutines.
func runHits(b *testing.B, parallel bool, ks []string, hit func(string) bool) {
	b.ReportAllocs()
	if !parallel {
		i := 0
		for b.Loop() {
			if !hit(ks[i&1023]) {
				b.Fatal("miss")
			}
			i++
		}
		return
	}
	var g atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		i := int(g.Add(1) * 7919)
		for pb.Next() {
			if !hit(ks[i&1023]) {
				b.Fatal("miss")
			}
			i++
		}
	})
}
