package dashboards

// rate wraps a counter in rate() over $__rate_interval with the job/instance
// matcher plus extra matchers.
func rate(metric, extra string) string {
	m := Sel
	if extra != "" {
		m += ", " + extra
	}
	return "rate(" + metric + "{" + m + "}[" + RateWindow + "])"
}

// sel is metric{job, instance[, extra]}.
func sel(metric, extra string) string {
	m := Sel
	if extra != "" {
		m += ", " + extra
	}
	return metric + "{" + m + "}"
}

// quantile is histogram_quantile(q) of a _bucket rate summed by le and by.
func quantile(q, metric, by string) string {
	b := "le"
	if by != "" {
		b += ", " + by
	}
	return "histogram_quantile(" + q + ", sum by (" + b + ") (" + rate(metric+"_bucket", "") + "))"
}

// zeroOr is "num or base*0": a ratio whose numerator series may not exist
// yet (no 5xx so far) reads 0 rather than "no data".
func zeroOr(num, base string) string { return "(" + num + " or " + base + " * 0)" }

// Overview is RED per route, saturation, instances, workers and restarts.
func Overview() Spec {
	all := `sum by (route) (` + rate("http_requests_total", "") + `)`
	errs := `sum by (route) (` + rate("http_requests_total", `code=~"5.."`) + `)`
	return Spec{
		File: "overview.json", UID: "echosenseix-overview", Title: "EchoSenseiX / Overview",
		Desc:   "Rate, errors and latency per route; saturation; instances, workers and restarts.",
		Anchor: "http_requests_total",
		Rows: []Row{
			{Title: "Fleet", Panels: []Panel{
				{Title: "Instances up", Unit: "short", Stat: true, Width: 6,
					Desc:    "Server scrape targets answering (cluster primaries: one per instance).",
					Queries: []Query{Q("sum(up{"+Sel+"})", "up")}},
				{Title: "Workers running", Unit: "short", Stat: true, Width: 6,
					Desc:    "cluster_workers summed over instances.",
					Queries: []Query{Q("sum(cluster_workers{"+Sel+"})", "workers")}},
				{Title: "Slots given up", Unit: "short", Stat: true, Width: 6,
					Desc:    "Worker slots that crossed CLUSTER_MAX_RESTARTS and are no longer restarted.",
					Queries: []Query{Q("sum(cluster_slot_given_up{"+Sel+"})", "given up")}},
				{Title: "Requests per second", Unit: "reqps", Stat: true, Width: 6,
					Queries: []Query{Q("sum("+rate("http_requests_total", "")+")", "req/s")}},
				{Title: "Worker restarts", Unit: "short",
					Desc:    "Restarts of each worker slot in the window.",
					Queries: []Query{Q("sum by (instance, slot) (increase(cluster_worker_restarts_total{"+Sel+"}["+RateWindow+"]))", "{{instance}} slot {{slot}}")}},
				{Title: "Uptime per worker", Unit: "s",
					Queries: []Query{Q(sel("process_uptime_seconds", ""), "{{instance}} worker {{worker}}")}},
			}},
			{Title: "Rate, errors, duration per route", Panels: []Panel{
				{Title: "Requests per route", Unit: "reqps",
					Queries: []Query{Q(`sum by (route, method) (`+rate("http_requests_total", "")+`)`, "{{method}} {{route}}")}},
				{Title: "Responses by status code", Unit: "reqps",
					Queries: []Query{Q(`sum by (code) (`+rate("http_requests_total", "")+`)`, "{{code}}")}},
				{Title: "Error ratio (5xx) per route", Unit: "percentunit",
					Desc:    "5xx answers over all answers, per route; 0 while a route has had no 5xx.",
					Queries: []Query{Q(zeroOr(errs, all)+" / "+all, "{{route}}")}},
				{Title: "Client errors (4xx) per route", Unit: "reqps",
					Queries: []Query{Q(`sum by (route, code) (`+rate("http_requests_total", `code=~"4.."`)+`)`, "{{code}} {{route}}")}},
				{Title: "p50 latency per route", Unit: "s", Width: 8,
					Queries: []Query{Q(quantile("0.5", "http_request_duration_seconds", "route"), "{{route}}")}},
				{Title: "p95 latency per route", Unit: "s", Width: 8,
					Queries: []Query{Q(quantile("0.95", "http_request_duration_seconds", "route"), "{{route}}")}},
				{Title: "p99 latency per route", Unit: "s", Width: 8,
					Queries: []Query{Q(quantile("0.99", "http_request_duration_seconds", "route"), "{{route}}")}},
			}},
			{Title: "Saturation", Panels: []Panel{
				{Title: "Database pool in use", Unit: "percentunit", Width: 8,
					Desc:    "Acquired connections over the pool size, per instance.",
					Queries: []Query{Q("sum by (instance) ("+sel("pgxpool_acquired_conns", "")+") / sum by (instance) ("+sel("pgxpool_max_conns", "")+")", "{{instance}}")}},
				{Title: "Webhooks waiting for a group commit", Unit: "short", Width: 8,
					Queries: []Query{Q("sum by (instance) ("+sel("ingest_pending_requests", "")+")", "{{instance}}")}},
				{Title: "Shed: 503 answers and refused ingests", Unit: "reqps", Width: 8,
					Queries: []Query{
						Q(zeroOr("sum by (instance) ("+rate("http_requests_total", `code="503"`)+")", "sum by (instance) ("+rate("http_requests_total", "")+")"), "503 {{instance}}"),
						Q("sum by (instance) ("+rate("ingest_shed_total", "")+")", "ingest shed {{instance}}"),
					}},
			}},
		},
	}
}
