package tracing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/internal/tracing"
)

func TestOffWithoutEndpoint(t *testing.T) {
	stop, err := tracing.Start(context.Background(), tracing.Config{})
	if err != nil {
		t.Fatalf("Start without endpoint: %v", err)
	}
	if tracing.Enabled() {
		t.Fatal("Enabled after Start without an endpoint")
	}
	if err := stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := func(context.Context, *server.Job) error { return nil }
	if got := tracing.Job("x", h); got == nil {
		t.Fatal("Job answered nil")
	}
}

func TestTracesURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:4318":           "http://127.0.0.1:4318/v1/traces",
		"https://collector.example/otlp/": "https://collector.example/otlp/v1/traces",
	} {
		if got, err := tracing.TracesURL(in); err != nil || got != want {
			t.Errorf("TracesURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"127.0.0.1:4318", "grpc://x:4317", "http://", "::"} {
		if _, err := tracing.TracesURL(bad); err == nil {
			t.Errorf("TracesURL(%q): no error", bad)
		}
	}
	if _, err := tracing.Start(context.Background(), tracing.Config{Endpoint: "http://x:1", SampleRatio: 0}); err == nil {
		t.Error("Start with sample ratio 0: no error")
	}
}

func TestLogHandlerAddsTraceIDs(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(tracing.LogHandler(slog.NewJSONHandler(&buf, nil))).With("role", "worker")
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))
	log.InfoContext(ctx, "traced")
	log.Info("untraced")
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("got %d lines: %s", len(lines), buf.String())
	}
	var traced, untraced map[string]any
	_ = json.Unmarshal(lines[0], &traced)
	_ = json.Unmarshal(lines[1], &untraced)
	if traced["trace_id"] != tid.String() || traced["span_id"] != sid.String() || traced["role"] != "worker" {
		t.Errorf("traced line %s: want trace_id %s, span_id %s and the logger's attrs", lines[0], tid, sid)
	}
	if _, ok := untraced["trace_id"]; ok {
		t.Errorf("untraced line has a trace_id: %s", lines[1])
	}
}

// TestStartExportsOverOTLP: with an endpoint, spans reach an OTLP/HTTP
// receiver as protobuf at /v1/traces, with the service name, and a failed
// job is a failed consumer span.
func TestStartExportsOverOTLP(t *testing.T) {
	var mu sync.Mutex
	var got []*tracepb.ResourceSpans
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var ex coltracepb.ExportTraceServiceRequest
		if r.URL.Path != "/v1/traces" || proto.Unmarshal(b, &ex) != nil {
			http.Error(w, "bad export", http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, ex.ResourceSpans...)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer recv.Close()
	stop, err := tracing.Start(context.Background(), tracing.Config{Endpoint: recv.URL, ServiceName: "svc-test", SampleRatio: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !tracing.Enabled() {
		t.Fatal("not Enabled after Start with an endpoint")
	}
	job := tracing.Job("process-document", func(ctx context.Context, j *server.Job) error {
		if !tracing.SpanContext(ctx).IsValid() {
			t.Error("job handler's ctx carries no span")
		}
		return errors.New("boom")
	})
	if err := job(context.Background(), &server.Job{ID: "job-1", Attempts: 2}); err == nil {
		t.Fatal("the wrapped handler's error was lost")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := stop(ctx); err != nil {
		t.Fatal(err)
	}
	if tracing.Enabled() {
		t.Error("Enabled after shutdown")
	}
	mu.Lock()
	defer mu.Unlock()
	var span *tracepb.Span
	service := ""
	for _, rs := range got {
		for _, kv := range rs.Resource.Attributes {
			if kv.Key == "service.name" {
				service = kv.Value.GetStringValue()
			}
		}
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				if s.Name == "job process-document" {
					span = s
				}
			}
		}
	}
	if span == nil || service != "svc-test" {
		t.Fatalf("receiver got %d resource spans; want the job span of service svc-test (got service %q)", len(got), service)
	}
	if span.Kind != tracepb.Span_SPAN_KIND_CONSUMER || span.Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR {
		t.Errorf("job span: kind %v status %v; want consumer, error", span.Kind, span.Status.GetCode())
	}
}
