package tracing

import (
	"context"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/echosenseix/echosenseix/server"
)

var jobTracer = Tracer("github.com/echosenseix/echosenseix/server/jobs")

// Job wraps a queue handler so that each run of a job is a consumer span
// named "job <type>" (job id, attempt; an error marks it failed). With
// tracing off at registration it answers h itself.
func Job(jobType string, h server.JobHandler) server.JobHandler {
	if !Enabled() {
		return h
	}
	name := "job " + jobType
	return func(ctx context.Context, job *server.Job) error {
		ctx, span := jobTracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindConsumer),
			trace.WithAttributes(
				semconv.MessagingOperationName("process"),
				attribute.String("job.type", jobType),
				attribute.String("job.id", job.ID),
				attribute.Int("job.attempt", job.Attempts),
			))
		defer span.End()
		err := h(ctx, job)
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "attempt "+strconv.Itoa(job.Attempts)+" failed")
		}
		return err
	}
}
