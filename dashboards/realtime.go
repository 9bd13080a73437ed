package dashboards

// Realtime is the WebSocket hub and the event bus behind its fan-out.
func Realtime() Spec {
	return Spec{
		File: "realtime.json", UID: "echosenseix-realtime", Title: "EchoSenseiX / Realtime",
		Desc:   "Open sockets per worker, messages in and out, drops by reason, fan-out latency, the Redis event bus.",
		Anchor: "ws_connections_open",
		Rows: []Row{
			{Title: "Sockets", Panels: []Panel{
				{Title: "Open sockets", Unit: "short", Stat: true, Width: 6, Queries: []Query{Q("sum("+sel("ws_connections_open", "")+")", "open")}},
				{Title: "Open sockets per worker", Unit: "short", Width: 18, Queries: []Query{Q(sel("ws_connections_open", ""), perWorker)}},
				{Title: "Messages sent and received", Unit: "ops", Queries: []Query{
					Q("sum by (instance) ("+rate("ws_messages_out_total", "")+")", "out {{instance}}"),
					Q("sum by (instance) ("+rate("ws_messages_in_total", "")+")", "in {{instance}}"),
				}},
				{Title: "Connections dropped by reason", Unit: "ops",
					Queries: []Query{Q("sum by (reason) ("+rate("ws_dropped_total", "")+")", "{{reason}}")}},
			}},
			{Title: "Fan-out", Panels: []Panel{
				{Title: "Fan-out latency p50 / p99", Unit: "s", Desc: "From an event's timestamp to its frame written to one socket.",
					Queries: []Query{
						Q(quantile("0.5", "ws_fanout_seconds", "instance"), "p50 {{instance}}"),
						Q(quantile("0.99", "ws_fanout_seconds", "instance"), "p99 {{instance}}"),
					}},
				{Title: "Event bus up", Unit: "short", Desc: "1 when each worker's Redis bus subscription is up.",
					Queries: []Query{Q(sel("echosenseix_redis_bus_connected", ""), perWorker)}},
				{Title: "Events dropped and publish failures", Unit: "ops", Queries: []Query{
					Q("sum by (instance) ("+rate("echosenseix_redis_bus_dropped_total", "")+")", "bus dropped {{instance}}"),
					Q("sum by (instance) ("+rate("events_publish_failures_total", "")+")", "publish failed {{instance}}"),
				}},
			}},
		},
	}
}
