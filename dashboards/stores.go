package dashboards

// Stores is Postgres (postgres_exporter 0.11) and Redis (redis_exporter
// 1.45) as their exporters see them. The names are pinned in exporters.go.
func Stores() Spec {
	by := func(e string) string { return "sum by (instance) (" + e + ")" }
	return Spec{
		File: "stores.json", UID: "echosenseix-stores", Title: "EchoSenseiX / Postgres and Redis",
		Desc:   "postgres_exporter and redis_exporter: up, connections against the limit, throughput, hit ratios, memory, locks.",
		Anchor: "up",
		Rows: []Row{
			{Title: "Postgres", Panels: []Panel{
				{Title: "Postgres up", Unit: "bool", Stat: true, Width: 6, Queries: []Query{Q("min("+sel("pg_up", "")+")", "up")}},
				{Title: "Connections against max_connections", Unit: "percentunit", Width: 18,
					Desc:    "Backends of every database over max_connections: the pool sizes of every server share it.",
					Queries: []Query{Q(by(sel("pg_stat_database_numbackends", ""))+" / "+by(sel("pg_settings_max_connections", "")), perInstance)}},
				{Title: "Backends by state", Unit: "short",
					Queries: []Query{Q("sum by (instance, state) ("+sel("pg_stat_activity_count", "")+")", "{{state}} {{instance}}")}},
				{Title: "Transactions committed and rolled back", Unit: "ops", Queries: []Query{
					Q(by(rate("pg_stat_database_xact_commit", "")), "commit {{instance}}"),
					Q(by(rate("pg_stat_database_xact_rollback", "")), "rollback {{instance}}"),
				}},
				{Title: "Rows inserted and fetched", Unit: "ops", Queries: []Query{
					Q(by(rate("pg_stat_database_tup_inserted", "")), "inserted {{instance}}"),
					Q(by(rate("pg_stat_database_tup_fetched", "")), "fetched {{instance}}"),
				}},
				{Title: "Buffer cache hit ratio", Unit: "percentunit", Queries: []Query{
					Q(by(rate("pg_stat_database_blks_hit", ""))+" / ("+by(rate("pg_stat_database_blks_hit", ""))+" + "+by(rate("pg_stat_database_blks_read", ""))+")", perInstance)}},
				{Title: "Locks by mode and deadlocks", Unit: "short", Queries: []Query{
					Q("sum by (instance, mode) ("+sel("pg_locks_count", "")+")", "{{mode}} {{instance}}"),
					Q(by(rate("pg_stat_database_deadlocks", "")), "deadlocks/s {{instance}}"),
				}},
				{Title: "Longest open transaction", Unit: "s", Queries: []Query{
					Q("max by (instance) ("+sel("pg_stat_activity_max_tx_duration", "")+")", "longest tx {{instance}}"),
				}},
				{Title: "Database size", Unit: "bytes", Queries: []Query{
					Q("sum by (instance, datname) ("+sel("pg_database_size_bytes", "")+")", "{{datname}} {{instance}}")}},
			}},
			{Title: "Redis", Panels: []Panel{
				{Title: "Redis up", Unit: "bool", Stat: true, Width: 6, Queries: []Query{Q("min("+sel("redis_up", "")+")", "up")}},
				{Title: "Clients against maxclients", Unit: "percentunit", Width: 18, Queries: []Query{
					Q(by(sel("redis_connected_clients", ""))+" / "+by(sel("redis_config_maxclients", "")), perInstance)}},
				{Title: "Commands per second", Unit: "ops", Queries: []Query{Q(by(rate("redis_commands_processed_total", "")), perInstance)}},
				{Title: "Mean command time by command", Unit: "s", Queries: []Query{
					Q("sum by (instance, cmd) ("+rate("redis_commands_duration_seconds_total", "")+") / sum by (instance, cmd) ("+rate("redis_commands_total", "")+")", "{{cmd}} {{instance}}")}},
				{Title: "Keyspace hit ratio", Unit: "percentunit", Queries: []Query{
					Q(by(rate("redis_keyspace_hits_total", ""))+" / ("+by(rate("redis_keyspace_hits_total", ""))+" + "+by(rate("redis_keyspace_misses_total", ""))+")", perInstance)}},
				{Title: "Memory used and maximum", Unit: "bytes", Desc: "maxmemory 0 means no limit.", Queries: []Query{
					Q(by(sel("redis_memory_used_bytes", "")), "used {{instance}}"),
					Q(by(sel("redis_memory_max_bytes", "")), "max {{instance}}"),
				}},
				{Title: "Evicted, expired keys and rejected connections", Unit: "ops", Queries: []Query{
					Q(by(rate("redis_evicted_keys_total", "")), "evicted {{instance}}"),
					Q(by(rate("redis_expired_keys_total", "")), "expired {{instance}}"),
					Q(by(rate("redis_rejected_connections_total", "")), "rejected conns {{instance}}"),
				}},
				{Title: "Keys, tracking and pub/sub", Unit: "short", Queries: []Query{
					Q(by(sel("redis_db_keys", "")), "keys {{instance}}"),
					Q(by(sel("redis_tracking_total_keys", "")), "tracked keys {{instance}}"),
					Q(by(sel("redis_pubsub_channels", "")), "pub/sub channels {{instance}}"),
				}},
			}},
		},
	}
}
