package dashboards

// Load is the load generator's own view while a tier runs.
func Load() Spec {
	return Spec{
		File: "load.json", UID: "echosenseix-load", Title: "EchoSenseiX / Load tiers",
		Desc:   "The load generator's /metrics while a tier runs: requests and errors per scenario, latency, open sockets.",
		Anchor: "loadgen_requests_total",
		Rows: []Row{
			{Title: "Load generator", Panels: []Panel{
				{Title: "Requests per scenario", Unit: "reqps", Queries: []Query{
					Q("sum by (scenario) ("+rate("loadgen_requests_total", "")+")", "{{scenario}}")}},
				{Title: "Answers by status code", Unit: "reqps", Queries: []Query{
					Q("sum by (code) ("+rate("loadgen_requests_total", "")+")", "{{code}}")}},
				{Title: "Error ratio", Unit: "percentunit", Desc: "Transport errors and non-2xx answers over all requests.",
					Queries: []Query{Q(zeroOr("sum("+rate("loadgen_errors_total", "")+")", "sum("+rate("loadgen_requests_total", "")+")")+
						" / sum("+rate("loadgen_requests_total", "")+")", "errors")}},
				{Title: "Open sockets", Unit: "short", Queries: []Query{Q("sum by (instance) ("+sel("loadgen_sockets_open", "")+")", perInstance)}},
				{Title: "Latency p50 / p95 / p99", Unit: "s", Width: 24, Queries: []Query{
					Q(quantile("0.5", "loadgen_request_duration_seconds", ""), "p50"),
					Q(quantile("0.95", "loadgen_request_duration_seconds", ""), "p95"),
					Q(quantile("0.99", "loadgen_request_duration_seconds", ""), "p99"),
				}},
				{Title: "Latency p99 per scenario", Unit: "s", Width: 24, Queries: []Query{
					Q(quantile("0.99", "loadgen_request_duration_seconds", "scenario"), "{{scenario}}")}},
			}},
		},
	}
}
