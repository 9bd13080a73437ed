package cluster

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the primary's own collectors.
type metrics struct {
	workers  prometheus.Gauge
	restarts *prometheus.CounterVec
	givenUp  *prometheus.GaugeVec
}

// newMetrics registers the cluster_* collectors on reg, plus the primary's
// Go and process collectors under worker="primary" (the workers' own carry
// worker="<slot>" in the merge).
func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		workers: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "cluster_workers", Help: "Worker processes running now (a rolling restart briefly counts both of a slot).",
		}),
		restarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cluster_worker_restarts_total", Help: "Restarts of a worker slot after its process exited.",
		}, []string{"slot"}),
		givenUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "cluster_slot_given_up", Help: "1 when a slot exceeded CLUSTER_MAX_RESTARTS within the window and is no longer restarted.",
		}, []string{"slot"}),
	}
	reg.MustRegister(m.workers, m.restarts, m.givenUp)
	prometheus.WrapRegistererWith(prometheus.Labels{WorkerLabel: "primary"}, reg).MustRegister(
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Collectors are the cluster_* collectors (already registered on
// Config.Registry by New).
func (p *Primary) Collectors() []prometheus.Collector {
	return []prometheus.Collector{p.m.workers, p.m.restarts, p.m.givenUp}
}
