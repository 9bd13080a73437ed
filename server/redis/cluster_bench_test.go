package redis_test

import (
	"context"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server/redis"
)

// The cached read, single Redis against Redis Cluster, in the same run:
// Local is a hit in process memory (the steady state of a hot key), Remote
// a GET round trip (client-side cache off).
func BenchmarkCachedReadSingleLocal(b *testing.B)   { benchGet(b, testConfig(b), false) }
func BenchmarkCachedReadClusterLocal(b *testing.B)  { benchGet(b, clusterConfig(b), false) }
func BenchmarkCachedReadSingleRemote(b *testing.B)  { benchGet(b, testConfig(b), true) }
func BenchmarkCachedReadClusterRemote(b *testing.B) { benchGet(b, clusterConfig(b), true) }

func benchGet(b *testing.B, cfg redis.Config, remote bool) {
	cfg.DisableLocalCache = remote
	c := newCache(b, cfg)
	mustSet(b, c, "bench", "value")
	time.Sleep(1100 * time.Millisecond) // past the write's read-your-writes window
	mustGet(b, c, "bench")              // fills the local copy
	ctx := context.Background()
	for b.Loop() {
		if _, ok, err := c.Get(ctx, "bench"); err != nil || !ok {
			b.Fatalf("Get = %v, %v", ok, err)
		}
	}
}
