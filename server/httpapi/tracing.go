package httpapi

import (
	"context"
	"sort"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/protocol"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/echosenseix/echosenseix/server/internal/tracing"
)

var httpTracer = tracing.Tracer("github.com/echosenseix/echosenseix/server/httpapi")

// startSpan starts the server span of one request (called only with
// tracing on): the caller's traceparent is followed, the span is named by
// method and route template, and ctx carries it to the use case.
func startSpan(ctx context.Context, c *app.RequestContext, rm *routeMetrics) (context.Context, trace.Span) {
	ctx = tracing.Propagator().Extract(ctx, headerCarrier{&c.Request.Header})
	return httpTracer.Start(ctx, rm.method+" "+rm.route,
		trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(
			semconv.HTTPRequestMethodKey.String(rm.method),
			semconv.HTTPRoute(rm.route),
			semconv.URLPath(string(c.Request.URI().Path())),
			semconv.URLScheme(string(c.Request.URI().Scheme())),
			semconv.ClientAddress(c.ClientIP()),
			semconv.UserAgentOriginal(string(c.Request.Header.UserAgent())),
		))
}

// endSpan records the answer on the span, ends it, and observes the
// request's metrics with the trace id as the latency bucket's exemplar
// (sampled spans only: an exemplar must lead to a stored trace), at most
// one new exemplar per bucket and exemplarEvery.
func endSpan(span trace.Span, rm *routeMetrics, status int, d time.Duration) {
	span.SetAttributes(semconv.HTTPResponseStatusCode(status))
	if status >= 500 {
		span.SetStatus(codes.Error, "")
	}
	span.End()
	sc := span.SpanContext()
	eo, ok := rm.dur.(prometheus.ExemplarObserver)
	if !ok || !sc.IsSampled() || !rm.exemplarDue(d.Seconds()) {
		rm.observe(status, d)
		return
	}
	eo.ObserveWithExemplar(d.Seconds(), prometheus.Labels{"trace_id": sc.TraceID().String(), "span_id": sc.SpanID().String()})
	rm.count(status)
}

// exemplarEvery is how long a bucket keeps its exemplar before a new
// request may replace it: a dashboard needs one recent trace per bucket,
// and an exemplar on every request costs a label map and a timestamp each.
const exemplarEvery = time.Second

// exemplarDue reports whether the bucket of v may take a new exemplar now,
// and claims it if so.
func (r *routeMetrics) exemplarDue(v float64) bool {
	i := min(sort.SearchFloat64s(durationBuckets, v), len(r.exemplarAt)-1)
	now := time.Now().UnixNano()
	last := r.exemplarAt[i].Load()
	return now-last >= int64(exemplarEvery) && r.exemplarAt[i].CompareAndSwap(last, now)
}

// headerCarrier lets the propagator read and write hertz request headers.
type headerCarrier struct{ h *protocol.RequestHeader }

func (hc headerCarrier) Get(key string) string { return string(hc.h.Peek(key)) }

func (hc headerCarrier) Set(key, value string) { hc.h.Set(key, value) }

func (hc headerCarrier) Keys() []string {
	var keys []string
	hc.h.VisitAll(func(k, _ []byte) { keys = append(keys, string(k)) })
	return keys
}
