package dashboards

// Queue is the job queue: backlog, work in progress, history, dead letters.
func Queue() Spec {
	// Every worker reports the stats of the one shared queue: max, not sum.
	q := func(m string) string { return "max by (instance) (" + sel(m, "") + ")" }
	return Spec{
		File: "queue.json", UID: "echosenseix-queue", Title: "EchoSenseiX / Queue",
		Desc:   "Jobs (process-document) pending, processing, completed, failed into the dead-letter set, delayed; documents accepted.",
		Anchor: "queue_pending_jobs",
		Rows: []Row{
			{Title: "Now", Panels: []Panel{
				{Title: "Pending", Unit: "short", Stat: true, Width: 6, Queries: []Query{Q("max("+sel("queue_pending_jobs", "")+")", "pending")}},
				{Title: "Processing", Unit: "short", Stat: true, Width: 6, Queries: []Query{Q("max("+sel("queue_processing_jobs", "")+")", "processing")}},
				{Title: "Dead letter", Unit: "short", Stat: true, Width: 6, Queries: []Query{Q("max("+sel("queue_failed_jobs", "")+")", "dead letter")}},
				{Title: "Delayed (retry backoff)", Unit: "short", Stat: true, Width: 6, Queries: []Query{Q("max("+sel("queue_delayed_jobs", "")+")", "delayed")}},
			}},
			{Title: "Over time", Panels: []Panel{
				{Title: "Backlog: pending, processing, delayed", Unit: "short", Queries: []Query{
					Q(q("queue_pending_jobs"), "pending {{instance}}"),
					Q(q("queue_processing_jobs"), "processing {{instance}}"),
					Q(q("queue_delayed_jobs"), "delayed {{instance}}"),
				}},
				{Title: "Completed (kept in history) and dead letter", Unit: "short", Queries: []Query{
					Q(q("queue_completed_jobs"), "completed {{instance}}"),
					Q(q("queue_failed_jobs"), "dead letter {{instance}}"),
				}},
				{Title: "Dead letters added", Unit: "short", Desc: "Growth of the dead-letter set over the window (the alert watches 15 m).",
					Queries: []Query{Q("max by (instance) (delta("+sel("queue_failed_jobs", "")+"["+RateWindow+"]))", perInstance)}},
				{Title: "Documents accepted and job lookups", Unit: "reqps",
					Desc: "POST /api/documents answered 202 (one process-document job each) and GET /api/jobs/:id polls.",
					Queries: []Query{
						Q(`sum by (instance) (`+rate("http_requests_total", `route=~"/api/documents|/api/documents/upload", code="202"`)+`)`, "accepted {{instance}}"),
						Q(`sum by (instance) (`+rate("http_requests_total", `route="/api/jobs/:id"`)+`)`, "job polls {{instance}}"),
					}},
				{Title: "Document upload latency p99", Unit: "s",
					Desc:    "Time to accept a document and enqueue its job (job run time is not exported by the server yet).",
					Queries: []Query{Q(`histogram_quantile(0.99, sum by (le, instance) (`+rate("http_request_duration_seconds_bucket", `route=~"/api/documents|/api/documents/upload"`)+`))`, perInstance)}},
			}},
		},
	}
}
