package realtime

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/internal/tracing"
)

var tracer = tracing.Tracer("github.com/echosenseix/echosenseix/server/realtime")

// startFanout starts the span of one bus event's fan-out on this process
// (tracing on only): encoding it once and queueing it for the
// organization's sockets here. The bus carries no trace context, so it is
// the root of its own trace.
func startFanout(ev server.Event, o *org) trace.Span {
	o.mu.Lock()
	n := len(o.conns)
	o.mu.Unlock()
	_, span := tracer.Start(context.Background(), "realtime.fanout "+ev.Type, trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			attribute.String("realtime.event_type", ev.Type),
			attribute.String("organization.id", ev.OrganizationID),
			attribute.Int("realtime.connections", n),
		))
	return span
}
