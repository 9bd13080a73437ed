package e2e_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/internal/webhook"
)

// otlpReceiver is an in-process OTLP/HTTP trace receiver: it decodes each
// protobuf export and keeps its spans.
type otlpReceiver struct {
	srv   *httptest.Server
	mu    sync.Mutex
	spans []*tracepb.Span
	posts int
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	r := &otlpReceiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, "want POST /v1/traces application/x-protobuf", http.StatusNotFound)
			return
		}
		b, err := io.ReadAll(req.Body)
		var ex coltracepb.ExportTraceServiceRequest
		if err == nil {
			err = proto.Unmarshal(b, &ex)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.posts++
		for _, rs := range ex.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				r.spans = append(r.spans, ss.Spans...)
			}
		}
		r.mu.Unlock()
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// trace answers the spans received so far of traceID.
func (r *otlpReceiver) trace(traceID []byte) []*tracepb.Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*tracepb.Span
	for _, s := range r.spans {
		if bytes.Equal(s.TraceId, traceID) {
			out = append(out, s)
		}
	}
	return out
}

func attr(s *tracepb.Span, key string) string {
	for _, kv := range s.Attributes {
		if kv.Key == key {
			switch v := kv.Value.Value.(type) {
			case *commonpb.AnyValue_StringValue:
				return v.StringValue
			case *commonpb.AnyValue_IntValue:
				return fmt.Sprint(v.IntValue)
			}
		}
	}
	return ""
}

func findSpan(spans []*tracepb.Span, pred func(*tracepb.Span) bool) *tracepb.Span {
	for _, s := range spans {
		if pred(s) {
			return s
		}
	}
	return nil
}

// TestWebhookTrace sends a signed post-call webhook carrying a traceparent
// through the real server on real Postgres and Redis with
// OTEL_EXPORTER_OTLP_ENDPOINT set, and checks the trace the in-process
// receiver gets: the request span (child of the caller's), the group-commit
// batch span under it and the INSERT under the batch, all in the caller's
// trace; the agent lookup's Redis call in the same trace; the request's
// latency bucket carrying the trace id as its exemplar on /metrics
// (OpenMetrics).
func TestWebhookTrace(t *testing.T) {
	dsn := stack.Postgres(t)
	rs := stack.NewRedisServer(t)
	env := []string{"DATABASE_URL=" + dsn}
	if code, _, stderr := runBin(t, env, "migrate"); code != 0 {
		t.Fatalf("migrate: exit %d: %s", code, stderr)
	}
	code, stdout, stderr := runBin(t, env, "seed", "--orgs", "1", "--users", "1", "--agents", "1")
	if code != 0 {
		t.Fatalf("seed: exit %d: %s", code, stderr)
	}
	var sd seedJSON
	if err := json.Unmarshal([]byte(stdout), &sd); err != nil {
		t.Fatalf("seed output is not JSON: %v", err)
	}
	org := sd.Organizations[0]

	recv := newOTLPReceiver(t)
	p := startServer(t, "CLUSTER_ENABLED=false", "DATABASE_URL="+dsn, "REDIS_URL=redis://"+rs.Addr+"/0",
		"CACHE_PROVIDER=redis", "OTEL_EXPORTER_OTLP_ENDPOINT="+recv.srv.URL, "OTEL_SERVICE_NAME=echosenseix-test")
	waitLive(t, p)

	traceID, callerSpan := "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	body := webhook.PostCallBody(org.Agents[0].ExternalAgentID, "conv-traced-1", time.Now().Unix(), 42)
	req, _ := http.NewRequest("POST", p.base+"/api/webhooks/elevenlabs/post-call", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhook.Header, webhook.Sign([]byte(org.WebhookSecret), body, time.Now()))
	req.Header.Set("traceparent", "00-"+traceID+"-"+callerSpan+"-01")
	resp, err := freshClient.Do(req)
	if err != nil {
		t.Fatalf("webhook: %v", err)
	}
	rb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("webhook: %d %s", resp.StatusCode, rb)
	}

	tid, _ := hex.DecodeString(traceID)
	parent, _ := hex.DecodeString(callerSpan)
	var reqSpan, batch, insert, redisSpan *tracepb.Span
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		spans := recv.trace(tid)
		reqSpan = findSpan(spans, func(s *tracepb.Span) bool {
			return s.Kind == tracepb.Span_SPAN_KIND_SERVER && attr(s, "http.route") == "/api/webhooks/elevenlabs/post-call"
		})
		if reqSpan != nil {
			batch = findSpan(spans, func(s *tracepb.Span) bool {
				return s.Name == "groupcommit.flush" && bytes.Equal(s.ParentSpanId, reqSpan.SpanId)
			})
			redisSpan = findSpan(spans, func(s *tracepb.Span) bool {
				return attr(s, "db.system.name") == "redis" && bytes.Equal(s.ParentSpanId, reqSpan.SpanId)
			})
		}
		if batch != nil {
			insert = findSpan(spans, func(s *tracepb.Span) bool {
				return s.Name == "postgres INSERT" && bytes.Equal(s.ParentSpanId, batch.SpanId) &&
					strings.Contains(attr(s, "db.query.text"), "INSERT INTO call_logs")
			})
		}
		if insert != nil && redisSpan != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if reqSpan == nil || batch == nil || insert == nil || redisSpan == nil {
		recv.mu.Lock()
		var names []string
		for _, s := range recv.spans {
			names = append(names, fmt.Sprintf("%s trace=%x span=%x parent=%x", s.Name, s.TraceId, s.SpanId, s.ParentSpanId))
		}
		recv.mu.Unlock()
		t.Fatalf("trace %s: request=%v batch=%v insert=%v redis=%v; received %d spans:\n%s",
			traceID, reqSpan != nil, batch != nil, insert != nil, redisSpan != nil, len(names), strings.Join(names, "\n"))
	}
	if !bytes.Equal(reqSpan.ParentSpanId, parent) {
		t.Errorf("request span's parent: got %x; want the caller's span %s", reqSpan.ParentSpanId, callerSpan)
	}
	if reqSpan.Name != "POST /api/webhooks/elevenlabs/post-call" || attr(reqSpan, "http.response.status_code") != fmt.Sprint(resp.StatusCode) {
		t.Errorf("request span: name %q status %q; want the route and %d", reqSpan.Name, attr(reqSpan, "http.response.status_code"), resp.StatusCode)
	}
	if attr(batch, "groupcommit.batch_size") != "1" {
		t.Errorf("batch span: size %q; want 1", attr(batch, "groupcommit.batch_size"))
	}
	if insert.StartTimeUnixNano < batch.StartTimeUnixNano || insert.EndTimeUnixNano > batch.EndTimeUnixNano ||
		batch.EndTimeUnixNano > reqSpan.EndTimeUnixNano {
		t.Errorf("spans do not nest in time: request %d-%d, batch %d-%d, insert %d-%d", reqSpan.StartTimeUnixNano,
			reqSpan.EndTimeUnixNano, batch.StartTimeUnixNano, batch.EndTimeUnixNano, insert.StartTimeUnixNano, insert.EndTimeUnixNano)
	}

	mreq, _ := http.NewRequest("GET", p.base+"/metrics", nil)
	mreq.Header.Set("Accept", "application/openmetrics-text; version=1.0.0")
	mresp, err := freshClient.Do(mreq)
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	mb, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	found := false
	for _, line := range strings.Split(string(mb), "\n") {
		if strings.HasPrefix(line, "http_request_duration_seconds_bucket{") &&
			strings.Contains(line, `route="/api/webhooks/elevenlabs/post-call"`) &&
			strings.Contains(line, `trace_id="`+traceID+`"`) {
			found = true
		}
	}
	if !strings.HasPrefix(mresp.Header.Get("Content-Type"), "application/openmetrics-text") || !found {
		t.Errorf("/metrics (%s): no http_request_duration_seconds bucket of the webhook route with exemplar trace_id=%s",
			mresp.Header.Get("Content-Type"), traceID)
	}
}
