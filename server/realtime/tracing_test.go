package realtime

import (
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/internal/tracing"
)

// TestFanoutSpan: with tracing on, an event for an organization with a
// connection here is one realtime.fanout span naming the event, the
// organization and the connection count; an event for an organization
// nobody here belongs to makes none.
func TestFanoutSpan(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	defer tracing.Install(sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp)))()
	h := NewHub(Config{PingInterval: time.Hour}, nil, nil, nil)
	// An organization with one connection and no fan-out goroutine: the
	// frame is queued, nothing writes it.
	o := newOrg(h, "org1")
	o.conns = []*conn{{hub: h}}
	h.mu.Lock()
	h.orgs["org1"] = o
	h.mu.Unlock()
	h.onEvent(server.Event{Type: server.EventCallCompleted, OrganizationID: "org1", Timestamp: time.Now()})
	h.onEvent(server.Event{Type: server.EventCallCompleted, OrganizationID: "org-elsewhere", Timestamp: time.Now()})
	spans := exp.GetSpans().Snapshots()
	if len(spans) != 1 {
		t.Fatalf("%d spans; want 1", len(spans))
	}
	s := spans[0]
	want := map[attribute.Key]string{"realtime.event_type": server.EventCallCompleted, "organization.id": "org1", "realtime.connections": "1"}
	for _, kv := range s.Attributes() {
		if w, ok := want[kv.Key]; ok && kv.Value.String() == w {
			delete(want, kv.Key)
		}
	}
	if s.Name() != "realtime.fanout "+server.EventCallCompleted || len(want) > 0 {
		t.Errorf("span %q %v; missing %v", s.Name(), s.Attributes(), want)
	}
}
