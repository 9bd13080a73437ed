package redis_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/bustest"
	"github.com/echosenseix/echosenseix/server/cachetest"
	"github.com/echosenseix/echosenseix/server/redis"
	"github.com/echosenseix/echosenseix/server/sessiontest"
	"github.com/echosenseix/echosenseix/server/throttletest"
)

// clusterConfig is the Config of this test binary's Redis Cluster (3
// masters, 1 replica each, from the local redis-server) with tb's own
// prefix; its keys are deleted when tb ends.
func clusterConfig(tb testing.TB) redis.Config {
	tb.Helper()
	r := stack.NewRedisClusterPrefix(tb)
	return redis.Config{Cluster: r.Cluster, Prefix: r.Prefix}
}

func TestClusterCacheContract(t *testing.T) {
	cachetest.Run(t, func(tb testing.TB) server.Cache { return newCache(tb, clusterConfig(tb)) })
}

func TestClusterSessionContract(t *testing.T) {
	sessiontest.Run(t, func(tb testing.TB, ttl time.Duration) server.SessionStore {
		cfg := clusterConfig(tb)
		return redis.NewSessionStore(mustClient(tb, cfg), cfg, ttl)
	})
}

func TestClusterBusContract(t *testing.T) {
	bustest.Run(t, func(tb testing.TB) server.Bus { return mustBus(tb, clusterConfig(tb)) })
}

func TestClusterBusSharedContract(t *testing.T) {
	bustest.RunShared(t, func(tb testing.TB) (server.Bus, server.Bus) {
		cfg := clusterConfig(tb)
		return mustBus(tb, cfg), mustBus(tb, cfg)
	})
}

func TestClusterLoginThrottleContract(t *testing.T) {
	throttletest.Run(t, func(tb testing.TB, lim server.LoginLimits) server.LoginThrottle {
		cfg := clusterConfig(tb)
		return redis.NewLoginThrottle(mustClient(tb, cfg), cfg, lim)
	})
}

// TestClusterClientIsCluster: the client routes by slot (a single-node
// client would answer MOVED for most keys), and a Cache Delete of keys in
// several slots works.
func TestClusterClientIsCluster(t *testing.T) {
	cfg := clusterConfig(t)
	rc := mustClient(t, cfg)
	if rc.Mode() != rueidis.ClientModeCluster {
		t.Fatalf("Mode = %v; want cluster", rc.Mode())
	}
	c := redis.NewCache(rc, cfg)
	keys := make([]string, 20)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%d", i)
		mustSet(t, c, keys[i], "v")
	}
	if err := c.Delete(context.Background(), keys...); err != nil {
		t.Fatalf("Delete of 20 keys across slots = %v", err)
	}
	for _, k := range keys {
		if _, ok := mustGet(t, c, k); ok {
			t.Errorf("%s still present after Delete", k)
		}
	}
}

func TestNewClientRefusesSingleRedisAsCluster(t *testing.T) {
	r := stack.NewRedis(t)
	_, err := redis.NewClient(redis.Config{Cluster: []string{r.Addr}, Password: r.Password, Prefix: r.Prefix})
	if server.ErrorCode(err) != server.EUNAVAILABLE {
		t.Fatalf("NewClient(cluster of a single Redis) = %v; want EUNAVAILABLE", err)
	}
}

// staleBound is how long after a write another instance may still serve
// the old value from its client-side cache, across failovers.
const staleBound = 2 * time.Second

// TestClusterFailoverCacheCoherent: two instances (own clients, own
// client-side caches) on a private cluster. B caches keys spread over every
// shard; a master is failed over with CLUSTER FAILOVER, then A overwrites
// every key and B must see each new value within staleBound (the
// invalidation reaches B through the demoted master, which replicates the
// write, or B's connection breaks and drops what it filled). Then the new
// master is killed (SIGKILL; its replica takes over after the node
// timeout) and the same must hold.
func TestClusterFailoverCacheCoherent(t *testing.T) {
	cl := stack.NewRedisCluster(t, 3, 1)
	cfg := redis.Config{Cluster: cl.Addrs(), Prefix: "coherent:"}
	a, b := newCache(t, cfg), newCache(t, cfg)
	keys := make([]string, 30)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%d", i)
	}
	round := func(t *testing.T, val string) {
		t.Helper()
		for _, k := range keys {
			setEventually(t, a, k, val)
		}
		deadline := time.Now().Add(staleBound)
		for _, k := range keys {
			for {
				v, ok, err := b.Get(context.Background(), k)
				if err == nil && ok && string(v) == val {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("B still reads %s = %q, %v, %v %v after A wrote %q; want it within %v", k, v, ok, err, staleBound, val, staleBound)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
	}
	round(t, "v1")
	// Past the writer's read-your-writes window B serves from memory:
	time.Sleep(1100 * time.Millisecond)
	before := b.CacheStats().LocalHits
	for range 2 {
		for _, k := range keys {
			if v, _ := mustGet(t, b, k); string(v) != "v1" {
				t.Fatalf("B reads %s = %q; want v1", k, v)
			}
		}
	}
	if hits := b.CacheStats().LocalHits - before; hits < uint64(len(keys)) {
		t.Fatalf("B local hits = %d over %d reads; want at least %d (client-side caching on)", hits, 2*len(keys), len(keys))
	}
	newMaster, err := cl.Failover(cfg.Prefix + "cache:" + keys[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("failed over to %s", newMaster.Addr)
	round(t, "v2")
	newMaster.Stop() // its replica (the demoted master) takes over
	if err := cl.WaitHealthy(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	round(t, "v3")
}

// setEventually sets key to val, retrying for up to 10 s while the cluster
// moves the key's slot (writes to a slot mid-failover fail fast).
func setEventually(tb testing.TB, c server.Cache, key, val string) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := c.Set(context.Background(), key, []byte(val), time.Minute)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("Set(%s) = %v for 10s", key, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
