package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/echosenseix/echosenseix/server/cluster"
	"github.com/echosenseix/echosenseix/server/internal/tracing"
)

// TracingConfig is OpenTelemetry tracing (package tracing): off unless an
// OTLP endpoint is set. The names are OpenTelemetry's own; the exporter
// also reads OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION and
// _CERTIFICATE.
type TracingConfig struct {
	// OTEL_EXPORTER_OTLP_ENDPOINT, default none: tracing off.
	Endpoint string `env:"OTEL_EXPORTER_OTLP_ENDPOINT" envDefault:"" unit:"url" doc:"OTLP/HTTP (protobuf) base URL of a collector, e.g. http://127.0.0.1:4318; spans of HTTP requests, group-commit batches, Postgres and Redis calls, jobs and realtime fan-out go to URL/v1/traces, log lines of a traced request carry trace_id and span_id, and http_request_duration_seconds carries trace-id exemplars (OpenMetrics); empty = tracing off, nothing recorded"`
	// OTEL_SERVICE_NAME, default echosenseix.
	ServiceName string `env:"OTEL_SERVICE_NAME" envDefault:"echosenseix" unit:"name" doc:"service.name of the spans"`
	// OTEL_TRACES_SAMPLER_ARG, default 1: share of new traces recorded.
	SampleRatio float64 `env:"OTEL_TRACES_SAMPLER_ARG" envDefault:"1" unit:"ratio" doc:"share of new traces recorded, from 0 (exclusive) to 1 (parent-based: a request whose traceparent is sampled is always recorded)"`
}

func (c TracingConfig) rules() []rule {
	_, urlErr := tracing.TracesURL(c.Endpoint)
	return []rule{
		{"OTEL_EXPORTER_OTLP_ENDPOINT", c.Endpoint, c.Endpoint == "" || urlErr == nil, "empty or an http:// or https:// URL, e.g. http://127.0.0.1:4318"},
		{"OTEL_SERVICE_NAME", c.ServiceName, c.ServiceName != "", "a name"},
		{"OTEL_TRACES_SAMPLER_ARG", c.SampleRatio, c.SampleRatio > 0 && c.SampleRatio <= 1, "a number above 0 and at most 1"},
	}
}

// startTracing installs the exporter when OTEL_EXPORTER_OTLP_ENDPOINT is
// set (before any adapter is built: each checks tracing.Enabled once).
// worker is nil outside a cluster.
func startTracing(cfg *Config, log *slog.Logger, worker *cluster.Worker) (func(context.Context) error, error) {
	attrs := []attribute.KeyValue{semconv.ProcessPID(os.Getpid())}
	if worker != nil {
		attrs = append(attrs, attribute.Int("echosenseix.worker.slot", worker.Slot))
	}
	return tracing.Start(context.Background(), tracing.Config{
		Endpoint:    cfg.Tracing.Endpoint,
		ServiceName: cfg.Tracing.ServiceName,
		Version:     version,
		SampleRatio: cfg.Tracing.SampleRatio,
		Attributes:  attrs,
		Logger:      log,
	})
}

// flushTracing sends the spans still buffered at exit (bounded: a collector
// that is gone must not hold the exit up).
func flushTracing(stop func(context.Context) error, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := stop(ctx); err != nil {
		log.Warn("tracing: spans lost at exit", "err", err)
	}
}
