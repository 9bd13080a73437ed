package dashboards

// perWorker is the legend of a per-process series.
const perWorker = "{{instance}} worker {{worker}}"

// Runtime is goroutines, heap, GC and file descriptors per worker.
func Runtime() Spec {
	return Spec{
		File: "runtime.json", UID: "echosenseix-runtime", Title: "EchoSenseiX / Runtime",
		Desc:   "Go runtime and process figures of every worker (worker=\"primary\" is the supervisor).",
		Anchor: "go_goroutines",
		Rows: []Row{
			{Title: "Goroutines and CPU", Panels: []Panel{
				{Title: "Goroutines", Unit: "short", Queries: []Query{Q(sel("go_goroutines", ""), perWorker)}},
				{Title: "CPU used", Unit: "percentunit", Desc: "CPU seconds per second (1 = one core).",
					Queries: []Query{Q(rate("process_cpu_seconds_total", ""), perWorker)}},
			}},
			{Title: "Memory and GC", Panels: []Panel{
				{Title: "Heap in use and limit", Unit: "bytes", Queries: []Query{
					Q(sel("process_memory_heap_used_bytes", ""), "heap used "+perWorker),
					Q(sel("process_resident_memory_bytes", ""), "RSS "+perWorker),
				}},
				{Title: "Heap against GOMEMLIMIT", Unit: "percentunit",
					Desc:    "Live heap over the Go memory limit; near 0 when GOMEMLIMIT is unset (the limit is then maximal).",
					Queries: []Query{Q(sel("process_memory_heap_used_bytes", "")+" / on (job, instance, worker) "+sel("go_gc_gomemlimit_bytes", ""), perWorker)}},
				{Title: "GC pause (max, average)", Unit: "s", Queries: []Query{
					Q(sel("go_gc_duration_seconds", `quantile="1"`), "max "+perWorker),
					Q(rate("go_gc_duration_seconds_sum", "")+" / "+rate("go_gc_duration_seconds_count", ""), "avg "+perWorker),
				}},
				{Title: "GC cycles per second", Unit: "short", Queries: []Query{Q(rate("go_gc_duration_seconds_count", ""), perWorker)}},
			}},
			{Title: "File descriptors", Panels: []Panel{
				{Title: "Open fds and limit", Unit: "short", Queries: []Query{
					Q(sel("process_open_fds", ""), "open "+perWorker),
					Q(sel("process_max_fds", ""), "limit "+perWorker),
				}},
				{Title: "Open fds against the limit", Unit: "percentunit",
					Queries: []Query{Q(sel("process_open_fds", "")+" / "+sel("process_max_fds", ""), perWorker)}},
			}},
		},
	}
}
