package redis_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/redis"
)

// Hot path budget: a client-side hit makes no allocation and no round trip.

const benchKeys = 1024

func benchKeyNames() []string {
	ks := make([]string, benchKeys)
	for i := range ks {
		ks[i] = fmt.Sprintf("agent:%08d", i)
	}
	return ks
}

func fill(b *testing.B, c server.Cache, ks []string) {
	b.Helper()
	for _, k := range ks {
		if err := c.Set(context.Background(), k, []byte(`{"id":"`+k+`","name":"bench agent"}`), time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}

func runGets(b *testing.B, c server.Cache, ks []string) {
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, ok, err := c.Get(ctx, ks[i%len(ks)]); !ok || err != nil {
				b.Fatal("miss", err)
			}
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		var n atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			i := int(n.Add(1)) * 7919
			for pb.Next() {
				if _, ok, err := c.Get(ctx, ks[i%len(ks)]); !ok || err != nil {
					b.Error("miss", err)
					return
				}
				i++
			}
		})
	})
}

func BenchmarkRedisCacheGet(b *testing.B) {
	ks := benchKeyNames()
	b.Run("client-side-hit", func(b *testing.B) {
		runGets(b, localHitCache(b, ks), ks)
	})
	b.Run("rueidis-docache-hit", func(b *testing.B) {
		runGets(b, rueidisStoreHitCache(b, ks), ks)
	})
	b.Run("no-client-side", func(b *testing.B) {
		cfg := testConfig(b)
		cfg.DisableLocalCache = true
		c := newCache(b, cfg)
		fill(b, c, ks)
		runGets(b, c, ks)
		if st := c.CacheStats(); st.LocalHits != 0 {
			b.Errorf("local hits = %d; want 0", st.LocalHits)
		}
	})
	b.Run("memory", func(b *testing.B) {
		runGets(b, memoryCache(b, ks), ks)
	})
}

// BenchmarkLocalStoreHit pairs the client-side cache hit through this
// package's local store (direct lookup, no allocation) with the same hit
// through rueidis' default store and DoCache path: the measurement the local
// store is kept for.
func BenchmarkLocalStoreHit(b *testing.B) {
	ks := benchKeyNames()
	b.Run("ours", func(b *testing.B) { runGets(b, localHitCache(b, ks), ks) })
	b.Run("library", func(b *testing.B) { runGets(b, rueidisStoreHitCache(b, ks), ks) })
}

// localHitCache is a Cache with ks in its local store.
func localHitCache(b *testing.B, ks []string) *redis.Cache {
	cfg := testConfig(b)
	w, c := newCache(b, cfg), newCache(b, cfg)
	fill(b, w, ks)
	for _, k := range ks { // fill the local copies
		c.Get(context.Background(), k)
	}
	b.Cleanup(func() {
		if st := c.CacheStats(); st.RemoteHits > benchKeys {
			b.Errorf("remote hits = %d; want the local copies used (%+v)", st.RemoteHits, st)
		}
	})
	return c
}

// rueidisStoreHitCache is a Cache over a plain rueidis client (its default
// client-side store, no direct lookup) with ks cached locally.
func rueidisStoreHitCache(b *testing.B, ks []string) *redis.Cache {
	cfg := testConfig(b)
	rc, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{cfg.Addr}, Password: cfg.Password,
		SelectDB: cfg.DB, ForceSingleClient: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(rc.Close)
	w, c := newCache(b, cfg), redis.NewCache(rc, cfg)
	fill(b, w, ks)
	for _, k := range ks {
		c.Get(context.Background(), k)
	}
	return c
}
