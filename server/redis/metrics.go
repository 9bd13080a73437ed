package redis

import "github.com/prometheus/client_golang/prometheus"

// Collectors returns the Cache's metrics, for cmd to register: hits by
// source (local = client-side cache, remote = a Redis round trip), misses,
// client-side evictions, and the client-side cache's entries and
// approximate bytes now.
func (c *Cache) Collectors() []prometheus.Collector {
	hits := func(source string, f func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "echosenseix_redis_cache_hits_total", Help: "Redis cache hits by where they were served from.",
			ConstLabels: prometheus.Labels{"source": source},
		}, f)
	}
	return []prometheus.Collector{
		hits("local", func() float64 { return float64(c.CacheStats().LocalHits) }),
		hits("remote", func() float64 { return float64(c.remoteHits.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "echosenseix_redis_cache_misses_total", Help: "Redis cache misses.",
		}, func() float64 { return float64(c.misses.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "echosenseix_redis_cache_local_evictions_total", Help: "Entries evicted from the client-side cache to keep it within its size.",
		}, func() float64 { return float64(c.CacheStats().Evictions) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "echosenseix_redis_cache_local_entries", Help: "Entries held in the client-side cache now.",
		}, func() float64 { return float64(c.CacheStats().Entries) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "echosenseix_redis_cache_local_bytes", Help: "Approximate bytes held in the client-side cache now (bounded by its configured size).",
		}, func() float64 { return float64(c.LocalBytes()) }),
	}
}

// Collectors returns the Bus's metrics: whether its subscription is up and
// the messages dropped because subscribers fell behind.
func (b *Bus) Collectors() []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "echosenseix_redis_bus_connected", Help: "1 when the event bus subscription is up.",
		}, func() float64 {
			if b.Connected() {
				return 1
			}
			return 0
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "echosenseix_redis_bus_dropped_total", Help: "Events dropped because local subscribers fell behind.",
		}, func() float64 { return float64(b.Dropped()) }),
	}
}
