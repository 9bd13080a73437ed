package httpapi

import (
	"context"
	"errors"
	"runtime/metrics"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/echosenseix/echosenseix/server"
)

// routeUnmatched labels requests that matched no route (404/405).
const routeUnmatched = "unmatched"

// httpMetrics are the request counters and latency histograms, labelled by
// route template.
type httpMetrics struct {
	requests *prometheus.CounterVec   // http_requests_total{route,method,code}
	duration *prometheus.HistogramVec // http_request_duration_seconds{route,method}
}

func newHTTPMetrics() *httpMetrics {
	return &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "HTTP requests answered, by route template, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "HTTP request latency by route template and method.",
			Buckets: durationBuckets,
		}, []string{"route", "method"}),
	}
}

// durationBuckets are http_request_duration_seconds' upper bounds.
var durationBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// routeMetrics are one route's pre-resolved children: the request path does
// a slice index and atomic load, no label hashing and no allocation.
type routeMetrics struct {
	m      *httpMetrics
	route  string
	method string
	dur    prometheus.Observer
	codes  [500]atomic.Pointer[prometheus.Counter] // index: status-100

	exemplarAt [16]atomic.Int64 // per bucket (and +Inf): unix ns of its last exemplar (tracing on only)
}

func (m *httpMetrics) route(method, route string) *routeMetrics {
	return &routeMetrics{m: m, route: route, method: method, dur: m.duration.WithLabelValues(route, method)}
}

func (r *routeMetrics) observe(status int, d time.Duration) {
	r.dur.Observe(d.Seconds())
	r.count(status)
}

// count adds one answer with status to http_requests_total.
func (r *routeMetrics) count(status int) {
	if status < 100 || status >= 600 {
		status = 500
	}
	slot := &r.codes[status-100]
	c := slot.Load()
	if c == nil {
		cnt := r.m.requests.WithLabelValues(r.route, r.method, strconv.Itoa(status))
		slot.Store(&cnt)
		c = &cnt
	}
	(*c).Inc()
}

// registerMetrics registers the API's collectors on reg, plus the Go and
// process collectors (skipped when already registered, e.g. by cmd).
func (s *Server) registerMetrics(reg *prometheus.Registry) error {
	for _, c := range s.Collectors() {
		if err := reg.Register(c); err != nil {
			return errors.New("cannot register http metrics: " + err.Error())
		}
	}
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		var are prometheus.AlreadyRegisteredError
		if err := reg.Register(c); err != nil && !errors.As(err, &are) {
			return errors.New("cannot register runtime metrics: " + err.Error())
		}
	}
	return nil
}

// Collectors returns the API's collectors (New registers them on
// Deps.Registry): HTTP metrics and the scrape-time gauges of the guide.
func (s *Server) Collectors() []prometheus.Collector {
	publishFailures := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "events_publish_failures_total",
		Help: "call_completed events the API could not publish on the bus.",
	}, func() float64 { return float64(s.app.PublishFailures()) })
	cs := []prometheus.Collector{s.m.requests, s.m.duration, publishFailures, &scrapeCollector{s: s},
		s.limits.refused, s.conns.openConnections()}
	cs = append(cs, s.shedCollectors()...)
	return append(cs, s.hostCollectors()...)
}

// scrapeCollector reads uptime, heap, cache and queue figures at scrape
// time: a scrape never counts as a cache hit or miss.
type scrapeCollector struct{ s *Server }

var (
	descUptime     = prometheus.NewDesc("process_uptime_seconds", "Seconds since the server started.", nil, nil)
	descHeapUsed   = prometheus.NewDesc("process_memory_heap_used_bytes", "Bytes of live and not-yet-swept heap objects.", nil, nil)
	descCacheHits  = prometheus.NewDesc("cache_hits_total", "Cache hits (local + remote).", nil, nil)
	descCacheMiss  = prometheus.NewDesc("cache_misses_total", "Cache misses.", nil, nil)
	descCacheLocal = prometheus.NewDesc("cache_local_hits_total", "Cache hits served from process memory.", nil, nil)
	descCacheRemot = prometheus.NewDesc("cache_remote_hits_total", "Cache hits served by a round trip.", nil, nil)
	descCacheEvict = prometheus.NewDesc("cache_evictions_total", "Cache entries evicted.", nil, nil)
	descCacheEntr  = prometheus.NewDesc("cache_entries", "Cache entries held in process memory.", nil, nil)
	// The queue figures are gauges (jobs held now), named queue_<state>_jobs.
	descQueue = map[string]*prometheus.Desc{
		"pending":    prometheus.NewDesc("queue_pending_jobs", "Jobs waiting for a worker.", nil, nil),
		"processing": prometheus.NewDesc("queue_processing_jobs", "Jobs held by a worker.", nil, nil),
		"completed":  prometheus.NewDesc("queue_completed_jobs", "Completed jobs kept in history.", nil, nil),
		"failed":     prometheus.NewDesc("queue_failed_jobs", "Jobs in the dead-letter set.", nil, nil),
		"delayed":    prometheus.NewDesc("queue_delayed_jobs", "Jobs waiting for their run time.", nil, nil),
	}
	descQueueAlias = queueAliasDescs()
)

// QueueAliases maps each of the scaling guide's queue series names to the
// conventional one it copies. The guide's names end in _total although they
// are gauges (promlint flags them); they stay exported, same value, so
// dashboards and alerts written from the guide keep working. New queries use
// the queue_<state>_jobs names.
var QueueAliases = map[string]string{
	"queue_pending_total":    "queue_pending_jobs",
	"queue_processing_total": "queue_processing_jobs",
	"queue_completed_total":  "queue_completed_jobs",
	"queue_failed_total":     "queue_failed_jobs",
	"queue_delayed_total":    "queue_delayed_jobs",
}

// queueAliasDescs answers the alias of every descQueue entry, by state.
func queueAliasDescs() map[string]*prometheus.Desc {
	m := make(map[string]*prometheus.Desc, len(descQueue))
	for state := range descQueue {
		alias := "queue_" + state + "_total"
		m[state] = prometheus.NewDesc(alias, "Alias of "+QueueAliases[alias]+" (the guide's name; a gauge despite the _total suffix).", nil, nil)
	}
	return m
}

// QueueStatsTimeout bounds the queue stats read of one scrape.
const QueueStatsTimeout = 2 * time.Second

func (sc *scrapeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descUptime, descHeapUsed, descCacheHits, descCacheMiss, descCacheLocal, descCacheRemot, descCacheEvict, descCacheEntr} {
		ch <- d
	}
	for state, d := range descQueue {
		ch <- d
		ch <- descQueueAlias[state]
	}
}

func (sc *scrapeCollector) Collect(ch chan<- prometheus.Metric) {
	s := sc.s
	ch <- prometheus.MustNewConstMetric(descUptime, prometheus.GaugeValue, time.Since(s.start).Seconds())
	ch <- prometheus.MustNewConstMetric(descHeapUsed, prometheus.GaugeValue, float64(heapUsed()))
	if cs, ok := s.d.Cache.(server.CacheStatser); ok {
		st := cs.CacheStats()
		ch <- prometheus.MustNewConstMetric(descCacheHits, prometheus.CounterValue, float64(st.LocalHits+st.RemoteHits))
		ch <- prometheus.MustNewConstMetric(descCacheMiss, prometheus.CounterValue, float64(st.Misses))
		ch <- prometheus.MustNewConstMetric(descCacheLocal, prometheus.CounterValue, float64(st.LocalHits))
		ch <- prometheus.MustNewConstMetric(descCacheRemot, prometheus.CounterValue, float64(st.RemoteHits))
		ch <- prometheus.MustNewConstMetric(descCacheEvict, prometheus.CounterValue, float64(st.Evictions))
		ch <- prometheus.MustNewConstMetric(descCacheEntr, prometheus.GaugeValue, float64(st.Entries))
	}
	ctx, cancel := context.WithTimeout(context.Background(), QueueStatsTimeout)
	defer cancel()
	qs, err := s.d.Queue.Stats(ctx)
	if err != nil {
		return // absent series say "unknown"; /health names the failure
	}
	for name, v := range map[string]int64{"pending": qs.Pending, "processing": qs.Processing,
		"completed": qs.Completed, "failed": qs.Failed, "delayed": qs.Delayed} {
		ch <- prometheus.MustNewConstMetric(descQueue[name], prometheus.GaugeValue, float64(v))
		ch <- prometheus.MustNewConstMetric(descQueueAlias[name], prometheus.GaugeValue, float64(v))
	}
}

var heapSample = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}

// heapUsed reads the heap-object bytes without stopping the world.
func heapUsed() uint64 {
	s := make([]metrics.Sample, 1)
	s[0].Name = heapSample[0].Name
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
