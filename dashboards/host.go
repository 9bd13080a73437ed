package dashboards

// Host is the host settings against the tuning profile beside
// node_exporter's network and file-descriptor figures.
func Host() Spec {
	return Spec{
		File: "host.json", UID: "echosenseix-host", Title: "EchoSenseiX / Host and tuning",
		Desc: "host_setting_ok (the server's check of TUNING_TIER) and tuning_setting_ok (`tune check --format prometheus` " +
			"through node_exporter's textfile collector): 1 = at or above the profile, 0 = below; then sockets, network and fds.",
		Anchor: "up",
		Rows: []Row{
			{Title: "Tuning profile", Panels: []Panel{
				{Title: "Host settings below the profile (server)", Unit: "short", Stat: true,
					Desc:    "Each (instance, key) counted once: every cluster worker reports the same host.",
					Queries: []Query{Q("sum(1 - min by (instance, key) ("+sel("host_setting_ok", "")+"))", "below")}},
				{Title: "Settings below the profile (tune check)", Unit: "short", Stat: true,
					Queries: []Query{Q("sum by (profile) (1 - min by (instance, profile, key) ("+sel("tuning_setting_ok", "")+"))", "{{profile}}")}},
				{Title: "node_exporter textfile errors", Unit: "short", Stat: true,
					Desc:    "1 when node_exporter could not read a textfile (the tuning figures would be stale).",
					Queries: []Query{Q("max("+sel("node_textfile_scrape_error", "")+")", "errors")}},
				{Title: "Host settings per key (server)", Unit: "bool",
					Queries: []Query{Q("min by (instance, key) ("+sel("host_setting_ok", "")+")", "{{instance}} {{key}}")}},
				{Title: "Settings per key (tune check)", Unit: "bool",
					Queries: []Query{Q("min by (instance, profile, key) ("+sel("tuning_setting_ok", "")+")", "{{instance}} {{profile}} {{key}}")}},
			}},
			{Title: "Sockets and network", Panels: []Panel{
				{Title: "TCP established and time-wait", Unit: "short", Queries: []Query{
					Q(sel("node_netstat_Tcp_CurrEstab", ""), "established {{instance}}"),
					Q(sel("node_sockstat_TCP_tw", ""), "time-wait {{instance}}"),
					Q(sel("node_sockstat_TCP_inuse", ""), "in use {{instance}}"),
				}},
				{Title: "Listen queue overflows and drops", Unit: "ops", Desc: "Rises when somaxconn / tcp_max_syn_backlog are below the load.",
					Queries: []Query{
						Q(rate("node_netstat_TcpExt_ListenOverflows", ""), "overflows {{instance}}"),
						Q(rate("node_netstat_TcpExt_ListenDrops", ""), "drops {{instance}}"),
						Q(rate("node_netstat_Tcp_RetransSegs", ""), "retransmits {{instance}}"),
					}},
				{Title: "Network throughput", Unit: "Bps", Queries: []Query{
					Q("sum by (instance, device) ("+rate("node_network_receive_bytes_total", "")+")", "rx {{instance}} {{device}}"),
					Q("sum by (instance, device) ("+rate("node_network_transmit_bytes_total", "")+")", "tx {{instance}} {{device}}"),
				}},
				{Title: "Load average", Unit: "short", Queries: []Query{Q(sel("node_load1", ""), "load1 {{instance}}")}},
			}},
			{Title: "File descriptors", Panels: []Panel{
				{Title: "System fds allocated and maximum", Unit: "short", Queries: []Query{
					Q(sel("node_filefd_allocated", ""), "allocated {{instance}}"),
					Q(sel("node_filefd_maximum", ""), "maximum {{instance}}"),
				}},
				{Title: "System fds against fs.file-max", Unit: "percentunit",
					Queries: []Query{Q(sel("node_filefd_allocated", "")+" / "+sel("node_filefd_maximum", ""), perInstance)}},
			}},
		},
	}
}
