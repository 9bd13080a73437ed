package groupcommit

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	batchSize     prometheus.Histogram
	flushDuration prometheus.Histogram
	flushErrors   prometheus.Counter
	shed          prometheus.Counter
	splits        prometheus.Counter
	pending       func() float64
}

func newMetrics() *metrics {
	return &metrics{
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "ingest_batch_size",
			Help:    "Call logs per InsertCallLogs flush.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 12), // 1 .. 2048
		}),
		flushDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "ingest_flush_duration_seconds",
			Help:    "Duration of one InsertCallLogs flush.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14), // 0.5ms .. ~4s
		}),
		flushErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ingest_flush_errors_total",
			Help: "Flushes that failed (each fails the requests it carried).",
		}),
		shed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ingest_shed_total",
			Help: "Ingests refused at once because MaxPending requests were waiting, or after Close.",
		}),
		splits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ingest_batch_splits_total",
			Help: "Flushes refused as bad data (EINVALID) and retried row by row.",
		}),
	}
}

// Collectors returns the batcher's metrics: ingest_batch_size,
// ingest_flush_duration_seconds, ingest_flush_errors_total,
// ingest_shed_total, ingest_batch_splits_total and ingest_pending_requests.
func (b *Batcher) Collectors() []prometheus.Collector {
	pending := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "ingest_pending_requests",
		Help: "Ingests queued, waiting for a flush.",
	}, b.m.pending)
	return []prometheus.Collector{b.m.batchSize, b.m.flushDuration, b.m.flushErrors, b.m.shed, b.m.splits, pending}
}
