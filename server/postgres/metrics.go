package postgres

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// Collectors returns the pools' metrics, read from pool.Stat() at scrape,
// labelled pool="primary" or "replica-N", and the read routing's.
func (db *DB) Collectors() []prometheus.Collector {
	return []prometheus.Collector{&poolCollector{db: db}}
}

var (
	poolLabel        = []string{"pool"}
	descAcquired     = prometheus.NewDesc("pgxpool_acquired_conns", "Connections currently acquired (in use).", poolLabel, nil)
	descIdle         = prometheus.NewDesc("pgxpool_idle_conns", "Idle connections in the pool.", poolLabel, nil)
	descTotal        = prometheus.NewDesc("pgxpool_total_conns", "Connections open (idle, acquired and constructing).", poolLabel, nil)
	descMax          = prometheus.NewDesc("pgxpool_max_conns", "Pool size limit.", poolLabel, nil)
	descAcquireWait  = prometheus.NewDesc("pgxpool_acquire_wait_seconds_total", "Time spent waiting for a connection because none was idle.", poolLabel, nil)
	descAcquireTime  = prometheus.NewDesc("pgxpool_acquire_duration_seconds_total", "Total time spent in successful acquires.", poolLabel, nil)
	descAcquireCount = prometheus.NewDesc("pgxpool_acquire_count_total", "Successful acquires.", poolLabel, nil)
	descEmptyAcquire = prometheus.NewDesc("pgxpool_empty_acquire_total", "Successful acquires that had to wait for a connection.", poolLabel, nil)
	descCanceledAcq  = prometheus.NewDesc("pgxpool_canceled_acquire_total", "Acquires cancelled by their context (including the acquire timeout).", poolLabel, nil)

	descReads     = prometheus.NewDesc("db_reads_total", "Read-only queries by the pool that answered them (primary, replica-N).", poolLabel, nil)
	descLag       = prometheus.NewDesc("db_replica_lag_seconds", "Replication lag of the replica at its last check (0: replayed all it received).", poolLabel, nil)
	descHealthy   = prometheus.NewDesc("db_replica_healthy", "1 when the replica serves reads (answering, replicating, within DATABASE_REPLICA_MAX_LAG).", poolLabel, nil)
	descFallbacks = prometheus.NewDesc("db_replica_fallbacks_total", "Reads meant for a replica that ran on the primary, by reason (none_healthy, replica_failed, not_found).", []string{"reason"}, nil)
)

type poolCollector struct{ db *DB }

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descAcquired, descIdle, descTotal, descMax, descAcquireWait, descAcquireTime, descAcquireCount,
		descEmptyAcquire, descCanceledAcq, descReads, descLag, descHealthy, descFallbacks} {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	collectPool(ch, c.db.pool, "primary")
	db := c.db
	counter := func(d *prometheus.Desc, v float64, label string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, label)
	}
	counter(descReads, float64(db.primaryReads.Load()), "primary")
	if len(db.replicas) == 0 {
		return
	}
	for _, r := range db.replicas {
		collectPool(ch, r.pool, r.name)
		counter(descReads, float64(r.reads.Load()), r.name)
		ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, float64(r.lag.Load())/1e9, r.name)
		healthy := 0.0
		if r.healthy.Load() {
			healthy = 1
		}
		ch <- prometheus.MustNewConstMetric(descHealthy, prometheus.GaugeValue, healthy, r.name)
	}
	counter(descFallbacks, float64(db.noReplica.Load()), "none_healthy")
	counter(descFallbacks, float64(db.failovers.Load()), "replica_failed")
	counter(descFallbacks, float64(db.notFoundRetries.Load()), "not_found")
}

func collectPool(ch chan<- prometheus.Metric, p *pgxpool.Pool, name string) {
	s := p.Stat()
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, name)
	}
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, name)
	}
	gauge(descAcquired, float64(s.AcquiredConns()))
	gauge(descIdle, float64(s.IdleConns()))
	gauge(descTotal, float64(s.TotalConns()))
	gauge(descMax, float64(s.MaxConns()))
	counter(descAcquireWait, s.EmptyAcquireWaitTime().Seconds())
	counter(descAcquireTime, s.AcquireDuration().Seconds())
	counter(descAcquireCount, float64(s.AcquireCount()))
	counter(descEmptyAcquire, float64(s.EmptyAcquireCount()))
	counter(descCanceledAcq, float64(s.CanceledAcquireCount()))
}
