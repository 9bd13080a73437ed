package groupcommit

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/internal/tracing"
)

var tracer = tracing.Tracer("github.com/echosenseix/echosenseix/server/internal/groupcommit")

// maxLinks bounds the links of one batch span (a full batch is 256 rows).
const maxLinks = 64

// startFlush starts the span of one batch (tracing on only). A batch serves
// many requests: its parent is the first request's span, so that request's
// trace shows the batch and the insert under it, and it links the others'
// spans, so each of their traces leads to it.
func startFlush(ctx context.Context, batch []*request) (context.Context, trace.Span) {
	var links []trace.Link
	var parent trace.SpanContext
	for _, r := range batch {
		switch {
		case !r.sc.IsValid():
		case !parent.IsValid():
			parent = r.sc
		case len(links) < maxLinks:
			links = append(links, trace.Link{SpanContext: r.sc})
		}
	}
	if parent.IsValid() {
		ctx = trace.ContextWithRemoteSpanContext(ctx, parent)
	}
	return tracer.Start(ctx, "groupcommit.flush", trace.WithLinks(links...),
		trace.WithAttributes(attribute.Int("groupcommit.batch_size", len(batch))))
}

// endFlush marks a failed batch and ends its span. A batch refused as bad
// data is not a failure of the batch: its rows were retried one by one
// (each insert is a child span).
func endFlush(span trace.Span, err error) {
	switch {
	case server.ErrorCode(err) == server.EINVALID:
		span.AddEvent("batch refused as bad data: rows retried one by one")
	case err != nil:
		span.RecordError(err)
		span.SetStatus(codes.Error, "batch not stored")
	}
	span.End()
}
