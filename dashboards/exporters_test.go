package dashboards

// exporterMetrics are the exporter metric names the dashboards and alerts
// use, pinned to the Debian 12 packages they were written against; the
// proof checks each is still exported by the installed versions.
var exporterMetrics = map[string][]string{
	// prometheus-postgres-exporter 0.11.1
	"postgres": {
		"pg_up", "pg_stat_database_numbackends", "pg_settings_max_connections", "pg_stat_activity_count",
		"pg_stat_database_xact_commit", "pg_stat_database_xact_rollback", "pg_stat_database_tup_inserted",
		"pg_stat_database_tup_fetched", "pg_stat_database_blks_hit", "pg_stat_database_blks_read",
		"pg_locks_count", "pg_stat_database_deadlocks", "pg_stat_activity_max_tx_duration", "pg_database_size_bytes",
	},
	// prometheus-redis-exporter 1.45.0
	"redis": {
		"redis_up", "redis_connected_clients", "redis_config_maxclients", "redis_commands_processed_total",
		"redis_commands_duration_seconds_total", "redis_commands_total", "redis_keyspace_hits_total",
		"redis_keyspace_misses_total", "redis_memory_used_bytes", "redis_memory_max_bytes", "redis_evicted_keys_total",
		"redis_expired_keys_total", "redis_rejected_connections_total", "redis_db_keys", "redis_tracking_total_keys",
		"redis_tracking_clients", "redis_pubsub_channels",
	},
	// prometheus-node-exporter 1.5.0 (textfile collector on)
	"node": {
		"node_textfile_scrape_error", "node_netstat_Tcp_CurrEstab", "node_sockstat_TCP_tw", "node_sockstat_TCP_inuse",
		"node_netstat_TcpExt_ListenOverflows", "node_netstat_TcpExt_ListenDrops", "node_netstat_Tcp_RetransSegs",
		"node_network_receive_bytes_total", "node_network_transmit_bytes_total", "node_load1",
		"node_filefd_allocated", "node_filefd_maximum",
	},
}
