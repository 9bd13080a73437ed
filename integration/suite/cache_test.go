package suite_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/integration/harness"
)

// coherenceBound is the documented bound: a PATCH on A is seen by a GET on B
// within it.
const coherenceBound = 100 * time.Millisecond

// localHits answers i's count of cache reads served from process memory.
func localHits(t *testing.T, i *harness.Instance) float64 {
	return harness.Metric(metrics(t, i), "echosenseix_redis_cache_hits_total", `source="local"`)
}

// TestCacheCoherenceAcrossInstances: with CACHE_PROVIDER=redis (client-side
// caching), B holds the agent in its local cache (checked on its metrics:
// the read before each PATCH is a local hit); after a PATCH on A, B's reads
// show the new name within 100 ms. Four rounds, each timed from the PATCH
// answer to the first GET on B that shows the new name.
//
// The redis Cache reads a key this instance wrote in the last second with a
// plain GET (server/redis/cache.go: "reads its own writes"), and B writes
// the key when it reloads it after an invalidation; so each round first
// reads on B until a read is served locally (about 1 s).
func TestCacheCoherenceAcrossInstances(t *testing.T) {
	d := deploy(t, 2, 1, 1, 1, map[string]string{"CACHE_PROVIDER": "redis", "SESSION_STORE": "redis"})
	a, b := d.Insts[0], d.Insts[1]
	agent := d.Org.Agents[0]
	c := harness.Login(t, a, d.User.Email, d.User.Password)

	name := agent.Name
	var lat latencies
	for round := range 4 {
		// B reads until one read is served from its local copy.
		deadline := time.Now().Add(5 * time.Second)
		for {
			before := localHits(t, b)
			if got := agentName(t, c.Must(t, 200, "GET", agentURL(b, agent.ID), nil)); got != name {
				t.Fatalf("round %d: B before PATCH: name = %q; want %q", round, got, name)
			}
			if localHits(t, b) > before {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: B never served the agent from its client-side cache within 5s (echosenseix_redis_cache_hits_total{source=\"local\"} did not move)", round)
			}
			time.Sleep(50 * time.Millisecond)
		}
		name = fmt.Sprintf("Renamed agent %d", round)
		c.Must(t, 200, "PATCH", agentURL(a, agent.ID), map[string]string{"name": name})
		start := time.Now()
		deadline = start.Add(2 * time.Second)
		for {
			r := c.Must(t, 200, "GET", agentURL(b, agent.ID), nil)
			if agentName(t, r) == name {
				lat = append(lat, time.Since(start))
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: B still answers the old name 2s after the PATCH on A", round)
			}
			time.Sleep(time.Millisecond)
		}
		if got := agentName(t, c.Must(t, 200, "GET", agentURL(a, agent.ID), nil)); got != name {
			t.Fatalf("round %d: A after its own PATCH: name = %q; want %q", round, got, name)
		}
	}
	t.Logf("PATCH on A -> new name on B (B's copy local before each PATCH): %v (bound %v)", lat, coherenceBound)
	if m := lat.max(); m > coherenceBound {
		t.Errorf("slowest PATCH->GET across instances = %v; want <= %v (%v)", m, coherenceBound, lat)
	}
}
