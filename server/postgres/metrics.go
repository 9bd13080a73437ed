package postgres

import "github.com/prometheus/client_golang/prometheus"

// Collectors returns the pool's metrics, read from pool.Stat() at scrape.
func (db *DB) Collectors() []prometheus.Collector {
	return []prometheus.Collector{&poolCollector{db: db}}
}

var (
	descAcquired     = prometheus.NewDesc("pgxpool_acquired_conns", "Connections currently acquired (in use).", nil, nil)
	descIdle         = prometheus.NewDesc("pgxpool_idle_conns", "Idle connections in the pool.", nil, nil)
	descTotal        = prometheus.NewDesc("pgxpool_total_conns", "Connections open (idle, acquired and constructing).", nil, nil)
	descMax          = prometheus.NewDesc("pgxpool_max_conns", "Pool size limit.", nil, nil)
	descAcquireWait  = prometheus.NewDesc("pgxpool_acquire_wait_seconds_total", "Time spent waiting for a connection because none was idle.", nil, nil)
	descAcquireTime  = prometheus.NewDesc("pgxpool_acquire_duration_seconds_total", "Total time spent in successful acquires.", nil, nil)
	descAcquireCount = prometheus.NewDesc("pgxpool_acquire_count_total", "Successful acquires.", nil, nil)
	descEmptyAcquire = prometheus.NewDesc("pgxpool_empty_acquire_total", "Successful acquires that had to wait for a connection.", nil, nil)
	descCanceledAcq  = prometheus.NewDesc("pgxpool_canceled_acquire_total", "Acquires cancelled by their context (including the acquire timeout).", nil, nil)
)

type poolCollector struct{ db *DB }

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descAcquired, descIdle, descTotal, descMax, descAcquireWait, descAcquireTime, descAcquireCount, descEmptyAcquire, descCanceledAcq} {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.db.pool.Stat()
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
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
