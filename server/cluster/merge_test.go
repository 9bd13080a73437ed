package cluster

import (
	"bytes"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// workerRegistry is one fake worker: n requests on route, a histogram
// with the same n observations.
func workerRegistry(t *testing.T, n int) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "http_requests_total", Help: "h"}, []string{"route"})
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "latency_seconds", Help: "h", Buckets: []float64{0.1, 1}})
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "up_things", Help: "h"})
	reg.MustRegister(c, h, g)
	for range n {
		c.WithLabelValues("/a").Inc()
		h.Observe(0.05)
	}
	g.Set(1)
	return reg
}

func gatherOrFail(t *testing.T, g prometheus.Gatherer) []*dto.MetricFamily {
	t.Helper()
	fams, err := g.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	return fams
}

// roundTrip passes families through the wire format.
func roundTrip(t *testing.T, fams []*dto.MetricFamily) []*dto.MetricFamily {
	t.Helper()
	var buf bytes.Buffer
	if err := writeFamilies(&buf, fams); err != nil {
		t.Fatal(err)
	}
	out, err := readFamilies(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func byName(fams []*dto.MetricFamily) map[string]*dto.MetricFamily {
	m := map[string]*dto.MetricFamily{}
	for _, f := range fams {
		m[f.GetName()] = f
	}
	return m
}

func TestMergeLabelsAndSums(t *testing.T) {
	m := newMerger()
	m.add(roundTrip(t, gatherOrFail(t, workerRegistry(t, 3))), "0")
	m.add(roundTrip(t, gatherOrFail(t, workerRegistry(t, 4))), "1")
	// slot 1's replacement during a rolling restart: summed into worker="1".
	m.add(roundTrip(t, gatherOrFail(t, workerRegistry(t, 5))), "1")
	fams := byName(m.families())

	req := fams["http_requests_total"]
	got := map[string]float64{}
	total := 0.0
	for _, s := range req.GetMetric() {
		w := ""
		for _, lp := range s.GetLabel() {
			if lp.GetName() == WorkerLabel {
				w = lp.GetValue()
			}
		}
		got[w] = s.GetCounter().GetValue()
		total += s.GetCounter().GetValue()
	}
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{`http_requests_total{worker="0"}`, got["0"], 3},
		{`http_requests_total{worker="1"}`, got["1"], 9},
		{"sum(http_requests_total)", total, 12},
		{"series", float64(len(req.GetMetric())), 2},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v; want %v", tt.name, tt.got, tt.want)
		}
	}
	var count uint64
	var bucket uint64
	for _, s := range fams["latency_seconds"].GetMetric() {
		count += s.GetHistogram().GetSampleCount()
		bucket += s.GetHistogram().GetBucket()[0].GetCumulativeCount()
	}
	if count != 12 || bucket != 12 {
		t.Errorf("histogram count, first bucket: got %d, %d; want 12, 12", count, bucket)
	}
}

func TestMergeSkipsTypeConflict(t *testing.T) {
	m := newMerger()
	m.add(gatherOrFail(t, workerRegistry(t, 1)), "0")
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "http_requests_total", Help: "h"}))
	m.add(gatherOrFail(t, reg), "1")
	f := byName(m.families())["http_requests_total"]
	if got := len(f.GetMetric()); got != 1 || f.GetType() != dto.MetricType_COUNTER {
		t.Errorf("after a type conflict: got %d series of %v; want 1 counter series", got, f.GetType())
	}
}

// TestGathererCollector: a registry holding only GathererCollector answers
// exactly the merged families (what a worker's public /metrics serves).
func TestGathererCollector(t *testing.T) {
	m := newMerger()
	m.add(gatherOrFail(t, workerRegistry(t, 2)), "0")
	m.add(gatherOrFail(t, workerRegistry(t, 5)), "1")
	merged := m.families()
	pub := prometheus.NewRegistry()
	pub.MustRegister(GathererCollector(prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return merged, nil })))
	fams := byName(gatherOrFail(t, pub))
	total := 0.0
	for _, s := range fams["http_requests_total"].GetMetric() {
		total += s.GetCounter().GetValue()
	}
	if total != 7 {
		t.Errorf("sum(http_requests_total) through the public registry: got %v; want 7", total)
	}
	if got := len(fams["latency_seconds"].GetMetric()); got != 2 {
		t.Errorf("latency_seconds series: got %d; want 2", got)
	}
}

func TestGathererCollectorFailure(t *testing.T) {
	pub := prometheus.NewRegistry()
	pub.MustRegister(GathererCollector(prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		return nil, errTest
	})))
	if _, err := pub.Gather(); err == nil {
		t.Errorf("Gather with an unreachable primary: got nil error; want the failure (no partial answer)")
	}
}

var errTest = &testError{}

type testError struct{}

func (*testError) Error() string { return "primary unreachable" }

func TestWorkerFromEnv(t *testing.T) {
	tests := []struct {
		env     map[string]string
		worker  bool
		wantErr bool
	}{
		{map[string]string{}, false, false},
		{map[string]string{EnvSlot: "2", EnvDir: "/tmp/x", EnvListen: "shared"}, true, false},
		{map[string]string{EnvSlot: "x", EnvDir: "/tmp/x", EnvListen: "shared"}, false, true},
		{map[string]string{EnvSlot: "1", EnvListen: "shared"}, false, true},
		{map[string]string{EnvSlot: "1", EnvDir: "/tmp/x", EnvListen: "fork"}, false, true},
	}
	for _, tt := range tests {
		w, err := WorkerFromEnv(func(k string) string { return tt.env[k] })
		if (w != nil) != tt.worker || (err != nil) != tt.wantErr {
			t.Errorf("WorkerFromEnv(%v): got worker %v, err %v; want worker %v, err %v", tt.env, w != nil, err, tt.worker, tt.wantErr)
		}
	}
}

// TestRestartPolicy: more than MaxRestarts restarts of one slot within the
// window gives the slot up; older restarts fall out of the window.
func TestRestartPolicy(t *testing.T) {
	p := &Primary{cfg: Config{MaxRestarts: 2, RestartWindow: time.Hour, Logger: discardLogger()},
		log: discardLogger(), m: newMetrics(prometheus.NewRegistry())}
	s := &slot{id: 0}
	for i, want := range []bool{true, true, false} {
		if got := p.allowRestart(s); got != want {
			t.Errorf("restart %d: got allowed=%v; want %v", i+1, got, want)
		}
	}
	if s.state != StateGivenUp || s.restarts != 2 {
		t.Errorf("slot after cap: got state %q restarts %d; want %q 2", s.state, s.restarts, StateGivenUp)
	}
	s2 := &slot{id: 1, recent: []time.Time{time.Now().Add(-2 * time.Hour), time.Now().Add(-2 * time.Hour)}}
	if !p.allowRestart(s2) {
		t.Errorf("restart after old restarts left the window: got refused; want allowed")
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
