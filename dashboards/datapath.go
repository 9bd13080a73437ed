package dashboards

// perInstance is the legend of a series summed per instance.
const perInstance = "{{instance}}"

// DataPath is the Postgres pool, group commit and cache.
func DataPath() Spec {
	by := func(e string) string { return "sum by (instance) (" + e + ")" }
	byPool := func(e string) string { return "sum by (instance, pool) (" + e + ")" }
	return Spec{
		File: "datapath.json", UID: "echosenseix-datapath", Title: "EchoSenseiX / Data path",
		Desc:   "pgxpool per pool (primary, read replicas), group-commit ingestion and the cache (local, remote, misses, evictions, client-side tracking).",
		Anchor: "pgxpool_max_conns",
		Rows: []Row{
			{Title: "Postgres pool (pgxpool)", Panels: []Panel{
				{Title: "Connections: acquired, idle, open, max", Unit: "short", Queries: []Query{
					Q(byPool(sel("pgxpool_acquired_conns", "")), "acquired {{pool}} {{instance}}"),
					Q(byPool(sel("pgxpool_idle_conns", "")), "idle {{pool}} {{instance}}"),
					Q(byPool(sel("pgxpool_total_conns", "")), "open {{pool}} {{instance}}"),
					Q(byPool(sel("pgxpool_max_conns", "")), "max {{pool}} {{instance}}"),
				}},
				{Title: "Acquires waiting and cancelled", Unit: "ops",
					Desc: "Acquires that found no idle connection, and acquires given up (DATABASE_ACQUIRE_TIMEOUT: the request got 503).",
					Queries: []Query{
						Q(byPool(rate("pgxpool_empty_acquire_total", "")), "waited {{pool}} {{instance}}"),
						Q(byPool(rate("pgxpool_canceled_acquire_total", "")), "cancelled {{pool}} {{instance}}"),
					}},
				{Title: "Acquire wait time", Unit: "s",
					Desc: "Seconds spent waiting for a connection per second of wall time, and the mean acquire duration.",
					Queries: []Query{
						Q(byPool(rate("pgxpool_acquire_wait_seconds_total", "")), "waiting {{pool}} {{instance}}"),
						Q(byPool(rate("pgxpool_acquire_duration_seconds_total", ""))+" / "+byPool(rate("pgxpool_acquire_count_total", "")), "mean acquire {{pool}} {{instance}}"),
					}},
				{Title: "Reads by pool", Unit: "ops",
					Desc:    "Read-only queries by the pool that answered them: primary, or replica-N with DATABASE_REPLICA_URLS.",
					Queries: []Query{Q(byPool(rate("db_reads_total", "")), "{{pool}} {{instance}}")}},
				{Title: "Replica lag and health", Unit: "s",
					Desc: "Lag of each replica at its last check (skipped past DATABASE_REPLICA_MAX_LAG), and 1 per replica serving reads. Only with DATABASE_REPLICA_URLS.",
					Queries: []Query{
						Q("max by (instance, pool) ("+sel("db_replica_lag_seconds", "")+")", "lag {{pool}} {{instance}}"),
						Q(byPool(sel("db_replica_healthy", "")), "healthy {{pool}} {{instance}}"),
					}},
				{Title: "Reads meant for a replica, run on the primary", Unit: "ops",
					Desc:    "none_healthy: no replica within its lag bound; replica_failed: the replica failed the read; not_found: a lookup the replica could not answer yet. Only with DATABASE_REPLICA_URLS.",
					Queries: []Query{Q("sum by (instance, reason) ("+rate("db_replica_fallbacks_total", "")+")", "{{reason}} {{instance}}")}},
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
