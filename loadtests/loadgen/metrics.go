package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Metrics is the generator's own /metrics while it runs, the series the
// "Load tiers" dashboard draws (dashboards/README.md holds the contract):
//
//	loadgen_requests_total{scenario,code}       counter: "ok" for an expected answer, the status for an unexpected one, "0" for a transport error
//	loadgen_errors_total{scenario}              counter: transport errors and unexpected statuses
//	loadgen_request_duration_seconds{scenario}  histogram: latency of every answered request
//	loadgen_sockets_open                        gauge: realtime sockets held open now
//
// A run with several generator processes serves the sum of its workers:
// each worker serves its own on a loopback port and the coordinator's
// endpoint gathers them, labelled process="<index>".
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	errors   *prometheus.CounterVec
	duration *prometheus.HistogramVec
	sockets  prometheus.Gauge

	mu      sync.Mutex
	workers []string // worker /metrics addresses, index = process
}

// NewMetrics returns an empty set of the generator's metrics.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loadgen_requests_total", Help: "Requests the load generator made, by scenario and answer code (ok, an unexpected status, or 0 for a transport error).",
		}, []string{"scenario", "code"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loadgen_errors_total", Help: "Failed requests (transport errors and unexpected statuses), by scenario.",
		}, []string{"scenario"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "loadgen_request_duration_seconds", Help: "Request latency as the load generator saw it, by scenario.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"scenario"}),
		sockets: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "loadgen_sockets_open", Help: "Realtime sockets the load generator holds open now.",
		}),
	}
	m.reg.MustRegister(m.requests, m.errors, m.duration, m.sockets)
	return m
}

// scenarioMetrics are one scenario's series, looked up once per shard.
type scenarioMetrics struct {
	ok       prometheus.Counter
	errors   prometheus.Counter
	duration prometheus.Observer
	codes    map[string]prometheus.Counter
}

func (m *Metrics) scenario(typ string) *scenarioMetrics {
	return &scenarioMetrics{
		ok:       m.requests.WithLabelValues(typ, "ok"),
		errors:   m.errors.WithLabelValues(typ),
		duration: m.duration.WithLabelValues(typ),
		codes:    map[string]prometheus.Counter{},
	}
}

// observe counts one request of sm's scenario (kind as in Shard.Record).
func (m *Metrics) observe(typ string, sm *scenarioMetrics, lat time.Duration, responded bool, kind string) {
	if responded {
		sm.duration.Observe(lat.Seconds())
	}
	if kind == "" {
		sm.ok.Inc()
		return
	}
	sm.errors.Inc()
	code := "0"
	if s, ok := strings.CutPrefix(kind, "status_"); ok {
		code = s
	}
	c := sm.codes[code]
	if c == nil {
		c = m.requests.WithLabelValues(typ, code)
		sm.codes[code] = c
	}
	c.Inc()
}

// setWorker records where worker process p serves its metrics.
func (m *Metrics) setWorker(p int, addr string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for len(m.workers) <= p {
		m.workers = append(m.workers, "")
	}
	m.workers[p] = addr
}

// Gather implements prometheus.Gatherer: this process's series and, in a
// multi-process run, each worker's with a process label.
func (m *Metrics) Gather() ([]*dto.MetricFamily, error) {
	m.mu.Lock()
	workers := append([]string(nil), m.workers...)
	m.mu.Unlock()
	gs := prometheus.Gatherers{m.reg}
	for p, addr := range workers {
		if addr != "" {
			gs = append(gs, remote{addr: addr, process: strconv.Itoa(p)})
		}
	}
	return gs.Gather()
}

// Serve serves /metrics on addr until ctx ends and returns the address it
// listens on (addr may have port 0).
func (m *Metrics) Serve(ctx context.Context, addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("cannot listen for metrics on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	return ln.Addr().String(), nil
}

// remote gathers a worker's /metrics over loopback.
type remote struct {
	addr, process string
}

var remoteClient = &http.Client{Timeout: 2 * time.Second}

func (r remote) Gather() ([]*dto.MetricFamily, error) {
	resp, err := remoteClient.Get("http://" + r.addr + "/metrics")
	if err != nil {
		return nil, fmt.Errorf("cannot gather worker %s metrics: %w", r.process, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("cannot gather worker %s metrics: status %d", r.process, resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("cannot parse worker %s metrics: %w", r.process, err)
	}
	name, value := "process", r.process
	out := make([]*dto.MetricFamily, 0, len(fams))
	for _, f := range fams {
		for _, mt := range f.Metric {
			mt.Label = append(mt.Label, &dto.LabelPair{Name: &name, Value: &value})
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, errors.New("worker " + r.process + " served no metrics")
	}
	return out, nil
}
