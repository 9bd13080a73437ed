package httpapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cloudwego/hertz/pkg/common/ut"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/echosenseix/echosenseix/server/internal/tracing"
)

func spanAttr(s sdktrace.ReadOnlySpan, key attribute.Key) string {
	for _, kv := range s.Attributes() {
		if kv.Key == key {
			return kv.Value.String()
		}
	}
	return ""
}

// TestRequestSpanAndExemplar: with tracing on, a request is a server span
// named by route template under the caller's traceparent, the use case sees
// it in its ctx, and the latency bucket carries its trace id as exemplar in
// OpenMetrics; with tracing off no span is made.
func TestRequestSpanAndExemplar(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	e := newEnv(t, backends[0])
	path := "/api/agents/" + e.a.agent.ID

	if w := e.as(e.a, "GET", path, ""); w.Code != 200 {
		t.Fatalf("off: %d", w.Code)
	}
	uninstall := tracing.Install(tp)
	const traceID, parent = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	w := e.as(e.a, "GET", path, "", "traceparent: 00-"+traceID+"-"+parent+"-01")
	uninstall()
	if w.Code != 200 {
		t.Fatalf("on: %d %s", w.Code, w.Body.String())
	}
	if w := e.as(e.a, "GET", path, ""); w.Code != 200 {
		t.Fatalf("off again: %d", w.Code)
	}
	var server []sdktrace.ReadOnlySpan
	for _, s := range exp.GetSpans().Snapshots() {
		if s.SpanKind() == trace.SpanKindServer {
			server = append(server, s)
		}
	}
	if len(server) != 1 {
		t.Fatalf("got %d server spans; want 1 (tracing was on for one request)", len(server))
	}
	s := server[0]
	if s.Name() != "GET /api/agents/:id" || s.SpanContext().TraceID().String() != traceID || s.Parent().SpanID().String() != parent {
		t.Errorf("span %q trace %s parent %s; want GET /api/agents/:id in trace %s under %s",
			s.Name(), s.SpanContext().TraceID(), s.Parent().SpanID(), traceID, parent)
	}
	if spanAttr(s, "http.route") != "/api/agents/:id" || spanAttr(s, "http.response.status_code") != "200" || spanAttr(s, "url.path") != path {
		t.Errorf("span attributes %v", s.Attributes())
	}

	m := e.do("GET", "/metrics", "", "Accept: application/openmetrics-text; version=1.0.0")
	exemplars := 0
	for _, line := range strings.Split(m.Body.String(), "\n") {
		if strings.HasPrefix(line, "http_request_duration_seconds_bucket{") && strings.Contains(line, `route="/api/agents/:id"`) &&
			strings.Contains(line, " # {") {
			exemplars++
			if !strings.Contains(line, `trace_id="`+traceID+`"`) || !strings.Contains(line, `span_id="`+s.SpanContext().SpanID().String()+`"`) {
				t.Errorf("exemplar of another request: %s", line)
			}
		}
	}
	if exemplars != 1 {
		t.Errorf("%d exemplars on the route's buckets; want 1 (one traced request):\n%s", exemplars, m.Body.String())
	}
}

// BenchmarkTracing is the per-request cost of the middleware: tracing off
// (one atomic load) against on (every request sampled, batch exporter
// discarding), on /health/live and the cached agent read.
func BenchmarkTracing(b *testing.B) {
	for _, mode := range []string{"off", "on"} {
		b.Run(mode, func(b *testing.B) {
			if mode == "on" {
				tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
				defer func() { _ = tp.Shutdown(context.Background()) }()
				defer tracing.Install(tp)()
			}
			e := newEnv(b, backends[0], func(c *httpapiConfig, _ *httpapiDeps) { c.SessionCacheTTL = time.Minute })
			eng := e.srv.Engine()
			for _, rt := range []struct{ name, path, cookie string }{
				{"health-live", "/health/live", ""}, {"agent", "/api/agents/" + e.a.agent.ID, e.a.cookie},
			} {
				b.Run(rt.name, func(b *testing.B) {
					var hs []ut.Header
					if rt.cookie != "" {
						hs = append(hs, ut.Header{Key: "Cookie", Value: rt.cookie})
					}
					b.ReportAllocs()
					for b.Loop() {
						if w := ut.PerformRequest(eng, "GET", rt.path, nil, hs...); w.Code != 200 {
							b.Fatal(w.Code)
						}
					}
				})
			}
		})
	}
}
