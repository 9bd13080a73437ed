package dashboards

// perInstance is the legend of a series summed per instance.
const perInstance = "{{instance}}"

// DataPath is the Postgres pool, group commit and cache.
func DataPath() Spec {
	by := func(e string) string { return "sum by (instance) (" + e + ")" }
	return Spec{
		File: "datapath.json", UID: "echosenseix-datapath", Title: "EchoSenseiX / Data path",
		Desc:   "pgxpool, group-commit ingestion and the cache (local, remote, misses, evictions, client-side tracking).",
		Anchor: "pgxpool_max_conns",
		Rows: []Row{
			{Title: "Postgres pool (pgxpool)", Panels: []Panel{
				{Title: "Connections: acquired, idle, open, max", Unit: "short", Queries: []Query{
					Q(by(sel("pgxpool_acquired_conns", "")), "acquired {{instance}}"),
					Q(by(sel("pgxpool_idle_conns", "")), "idle {{instance}}"),
					Q(by(sel("pgxpool_total_conns", "")), "open {{instance}}"),
					Q(by(sel("pgxpool_max_conns", "")), "max {{instance}}"),
				}},
				{Title: "Acquires waiting and cancelled", Unit: "ops",
					Desc: "Acquires that found no idle connection, and acquires given up (DATABASE_ACQUIRE_TIMEOUT: the request got 503).",
					Queries: []Query{
						Q(by(rate("pgxpool_empty_acquire_total", "")), "waited {{instance}}"),
						Q(by(rate("pgxpool_canceled_acquire_total", "")), "cancelled {{instance}}"),
					}},
				{Title: "Acquire wait time", Unit: "s",
					Desc: "Seconds spent waiting for a connection per second of wall time, and the mean acquire duration.",
					Queries: []Query{
						Q(by(rate("pgxpool_acquire_wait_seconds_total", "")), "waiting {{instance}}"),
						Q(by(rate("pgxpool_acquire_duration_seconds_total", ""))+" / "+by(rate("pgxpool_acquire_count_total", "")), "mean acquire {{instance}}"),
					}},
			}},
			{Title: "Group commit (post-call webhooks)", Panels: []Panel{
				{Title: "Batch size p50 / p99", Unit: "short", Queries: []Query{
					Q(quantile("0.5", "ingest_batch_size", "instance"), "p50 {{instance}}"),
					Q(quantile("0.99", "ingest_batch_size", "instance"), "p99 {{instance}}"),
				}},
				{Title: "Flush latency p50 / p99", Unit: "s", Queries: []Query{
					Q(quantile("0.5", "ingest_flush_duration_seconds", "instance"), "p50 {{instance}}"),
					Q(quantile("0.99", "ingest_flush_duration_seconds", "instance"), "p99 {{instance}}"),
				}},
				{Title: "Flushes, flush errors and shed ingests", Unit: "ops", Queries: []Query{
					Q(by(rate("ingest_flush_duration_seconds_count", "")), "flushes {{instance}}"),
					Q(by(rate("ingest_flush_errors_total", "")), "errors {{instance}}"),
					Q(by(rate("ingest_shed_total", "")), "shed {{instance}}"),
				}},
				{Title: "Webhooks waiting for a flush", Unit: "short", Queries: []Query{Q(by(sel("ingest_pending_requests", "")), perInstance)}},
			}},
			{Title: "Cache", Panels: []Panel{
				{Title: "Hits (local, remote) and misses", Unit: "ops", Queries: []Query{
					Q(by(rate("cache_local_hits_total", "")), "local hits {{instance}}"),
					Q(by(rate("cache_remote_hits_total", "")), "remote hits {{instance}}"),
					Q(by(rate("cache_misses_total", "")), "misses {{instance}}"),
				}},
				{Title: "Hit ratio", Unit: "percentunit",
					Queries: []Query{Q(by(rate("cache_hits_total", ""))+" / ("+by(rate("cache_hits_total", ""))+" + "+by(rate("cache_misses_total", ""))+")", perInstance)}},
				{Title: "Evictions", Unit: "ops", Desc: "Entries evicted by the memory LRU and by the Redis client-side cache's size bound.",
					Queries: []Query{
						Q(by(rate("cache_evictions_total", "")), "cache {{instance}}"),
						Q(by(rate("echosenseix_redis_cache_local_evictions_total", "")), "client-side {{instance}}"),
					}},
				{Title: "Entries and bytes held in process", Unit: "short", Queries: []Query{
					Q(by(sel("cache_entries", "")), "entries {{instance}}"),
					Q(by(sel("echosenseix_redis_cache_local_entries", "")), "client-side entries {{instance}}"),
				}},
				{Title: "Client-side caching: keys tracked for invalidation", Unit: "short",
					Desc: "Redis server side (redis_exporter): keys whose invalidation Redis will push to the servers' local copies, and tracking clients.",
					Queries: []Query{
						Q("sum by (instance) (redis_tracking_total_keys)", "tracked keys {{instance}}"),
						Q("sum by (instance) (redis_tracking_clients)", "tracking clients {{instance}}"),
					}},
				{Title: "Client-side cache bytes", Unit: "bytes", Queries: []Query{Q(by(sel("echosenseix_redis_cache_local_bytes", "")), perInstance)}},
			}},
		},
	}
}
