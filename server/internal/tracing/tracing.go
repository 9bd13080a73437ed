// Package tracing owns OpenTelemetry in the server: Start installs an OTLP
// (HTTP/protobuf) exporter, a batching tracer provider and the W3C trace
// context propagator when an endpoint is configured; without one nothing is
// installed and Enabled stays false, so every instrumented path costs one
// atomic load. It also gives the slog handler that stamps trace_id and
// span_id on log lines and the job-handler wrapper; the HTTP, group-commit,
// Postgres, Redis and realtime spans are started by their own packages
// through Tracer, behind Enabled.
package tracing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// DefaultServiceName is service.name when Config.ServiceName is empty.
const DefaultServiceName = "echosenseix"

// Config says where spans go. The exporter also reads the standard
// OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION and _CERTIFICATE
// variables itself.
type Config struct {
	Endpoint    string               // OTLP/HTTP base URL (spans go to Endpoint/v1/traces); empty: tracing off
	ServiceName string               // service.name; default DefaultServiceName
	Version     string               // service.version
	SampleRatio float64              // share of new traces recorded (a sampled parent is always followed); 0 < r <= 1
	Attributes  []attribute.KeyValue // more resource attributes (the worker slot, the pid)
	Logger      *slog.Logger         // export failures; nil: slog.Default()
}

// on is true once Start installed a provider.
var on atomic.Bool

// Enabled reports whether spans are recorded and exported. Instrumented code
// checks it before doing any tracing work.
func Enabled() bool { return on.Load() }

// Tracer answers the named tracer of the global provider.
func Tracer(name string) trace.Tracer { return otel.Tracer(name) }

// Propagator answers the propagator in use (W3C trace context and baggage
// once Start ran).
func Propagator() propagation.TextMapPropagator { return otel.GetTextMapPropagator() }

// Start installs the exporter and provider for cfg and turns Enabled on.
// With an empty Endpoint it does nothing and answers a no-op shutdown. The
// shutdown flushes the spans still buffered, within its ctx.
func Start(ctx context.Context, cfg Config) (shutdown func(context.Context) error, err error) {
	noop := func(context.Context) error { return nil }
	if cfg.Endpoint == "" {
		return noop, nil
	}
	endpoint, err := TracesURL(cfg.Endpoint)
	if err != nil {
		return noop, err
	}
	if cfg.SampleRatio <= 0 || cfg.SampleRatio > 1 {
		return noop, fmt.Errorf("cannot start tracing: sample ratio %v is not in (0, 1]", cfg.SampleRatio)
	}
	if cfg.ServiceName == "" {
		cfg.ServiceName = DefaultServiceName
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint))
	if err != nil {
		return noop, fmt.Errorf("cannot create OTLP exporter for %s: %w", endpoint, err)
	}
	attrs := append([]attribute.KeyValue{semconv.ServiceName(cfg.ServiceName), semconv.ServiceVersion(cfg.Version)}, cfg.Attributes...)
	res, err := resource.Merge(resource.Default(), resource.NewWithAttributes(semconv.SchemaURL, attrs...))
	if err != nil {
		return noop, fmt.Errorf("cannot describe the tracing resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(time.Second)),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.SampleRatio))),
	)
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		log.Warn("tracing: cannot export spans", "err", err)
	}))
	uninstall := Install(tp)
	return func(ctx context.Context) error {
		uninstall()
		if err := tp.Shutdown(ctx); err != nil {
			return fmt.Errorf("cannot flush spans: %w", err)
		}
		return nil
	}, nil
}

// Install makes tp the global tracer provider, with the W3C trace-context
// and baggage propagator, and turns Enabled on; uninstall turns it off again
// (spans already started still end into tp). Start calls it; tests of the
// instrumented packages call it with an in-memory exporter.
func Install(tp trace.TracerProvider) (uninstall func()) {
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	on.Store(true)
	return func() { on.Store(false) }
}

// TracesURL answers the traces endpoint of an OTLP/HTTP base URL
// (OTEL_EXPORTER_OTLP_ENDPOINT's meaning): base + "/v1/traces".
func TracesURL(base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("cannot start tracing: endpoint " + base + " is not an http:// or https:// URL")
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/v1/traces"
	return u.String(), nil
}

// SpanContext answers the span context carried by ctx (invalid when none).
func SpanContext(ctx context.Context) trace.SpanContext { return trace.SpanContextFromContext(ctx) }
