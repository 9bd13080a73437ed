package loadgen

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

// TestMetricsCountWhatTheShardRecords checks the live series against what
// a shard recorded: ok, an unexpected status and a transport error, the
// ramp included, and the sockets gauge.
func TestMetricsCountWhatTheShardRecords(t *testing.T) {
	start := time.Now()
	col := NewCollector(start, time.Hour) // everything below is in the ramp
	m := NewMetrics()
	col.SetMetrics(m)
	sh := col.Shard()
	for range 3 {
		sh.Record(TypeWebhook, start, start.Add(20*time.Millisecond), "")
	}
	sh.Record(TypeWebhook, start, start.Add(time.Millisecond), "status_503")
	sh.Record(TypeLogin, start, start.Add(time.Second), "refused")
	col.AddSockets(2)
	col.AddSockets(-1)

	for _, c := range []struct {
		scenario, code string
		want           float64
	}{{TypeWebhook, "ok", 3}, {TypeWebhook, "503", 1}, {TypeLogin, "0", 1}} {
		if got := testutil.ToFloat64(m.requests.WithLabelValues(c.scenario, c.code)); got != c.want {
			t.Errorf("loadgen_requests_total{scenario=%q,code=%q} = %v; want %v", c.scenario, c.code, got, c.want)
		}
	}
	if got := testutil.ToFloat64(m.errors.WithLabelValues(TypeWebhook)); got != 1 {
		t.Errorf("loadgen_errors_total{scenario=webhook} = %v; want 1", got)
	}
	if got := testutil.ToFloat64(m.sockets); got != 1 {
		t.Errorf("loadgen_sockets_open = %v; want 1", got)
	}
	// Latency of the 4 answered webhooks; the refused login has none.
	for scenario, want := range map[string]uint64{TypeWebhook: 4, TypeLogin: 0} {
		var d dto.Metric
		if err := m.duration.WithLabelValues(scenario).(prometheus.Metric).Write(&d); err != nil {
			t.Fatal(err)
		}
		if got := d.GetHistogram().GetSampleCount(); got != want {
			t.Errorf("loadgen_request_duration_seconds_count{scenario=%q} = %d; want %d", scenario, got, want)
		}
	}
	if got, want := col.Sockets.Load(), int64(1); got != want {
		t.Errorf("collector sockets = %d; want %d", got, want)
	}
}

// TestMetricsGatherWorkers serves two "worker" registries on loopback and
// checks the coordinator's endpoint serves both, labelled by process.
func TestMetricsGatherWorkers(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	coord := NewMetrics()
	for p := range 2 {
		w := NewMetrics()
		w.requests.WithLabelValues(TypeWebhook, "ok").Add(float64(10 * (p + 1)))
		addr, err := w.Serve(ctx, "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		coord.setWorker(p, addr)
	}
	addr, err := coord.Serve(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`loadgen_requests_total{code="ok",process="0",scenario="webhook"} 10`,
		`loadgen_requests_total{code="ok",process="1",scenario="webhook"} 20`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("coordinator /metrics lacks %s; got:\n%s", want, b)
		}
	}
}
