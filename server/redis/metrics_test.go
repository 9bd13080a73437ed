package redis_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestCacheCollectors(t *testing.T) {
	cfg := testConfig(t)
	w, c := newCache(t, cfg), newCache(t, cfg)
	mustSet(t, w, "k", "v")
	mustGet(t, c, "k") // remote, fills the local copy
	mustGet(t, c, "k") // local
	mustGet(t, c, "missing")
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c.Collectors()...)
	want := `
# HELP echosenseix_redis_cache_hits_total Redis cache hits by where they were served from.
# TYPE echosenseix_redis_cache_hits_total counter
echosenseix_redis_cache_hits_total{source="local"} 1
echosenseix_redis_cache_hits_total{source="remote"} 1
# HELP echosenseix_redis_cache_misses_total Redis cache misses.
# TYPE echosenseix_redis_cache_misses_total counter
echosenseix_redis_cache_misses_total 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "echosenseix_redis_cache_hits_total", "echosenseix_redis_cache_misses_total"); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(reg); err != nil || n != 6 {
		t.Errorf("GatherAndCount = %d, %v; want 6 series", n, err)
	}
}
