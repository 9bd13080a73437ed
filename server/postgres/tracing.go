package postgres

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/echosenseix/echosenseix/server/internal/tracing"
)

var tracer = tracing.Tracer("github.com/echosenseix/echosenseix/server/postgres")

// pgTracer is pgx's tracer hook (queries, batches, COPY, pool acquires) as
// client spans; Open installs it only with tracing on. Arguments are never
// recorded, only the statement text.
type pgTracer struct{}

var (
	_          pgx.QueryTracer       = pgTracer{}
	_          pgx.BatchTracer       = pgTracer{}
	_          pgx.CopyFromTracer    = pgTracer{}
	_          pgxpool.AcquireTracer = pgTracer{}
	dbSystem                         = semconv.DBSystemNamePostgreSQL
	clientKind                       = trace.WithSpanKind(trace.SpanKindClient)
)

func (pgTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	op := operation(d.SQL)
	ctx, _ = tracer.Start(ctx, "postgres "+op, clientKind,
		trace.WithAttributes(dbSystem, semconv.DBOperationName(op), semconv.DBQueryText(d.SQL)))
	return ctx
}

func (pgTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryEndData) {
	end(ctx, d.CommandTag.RowsAffected(), d.Err)
}

func (pgTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceBatchStartData) context.Context {
	ctx, _ = tracer.Start(ctx, "postgres BATCH", clientKind,
		trace.WithAttributes(dbSystem, semconv.DBOperationName("BATCH"), semconv.DBOperationBatchSize(d.Batch.Len())))
	return ctx
}

func (pgTracer) TraceBatchQuery(ctx context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	trace.SpanFromContext(ctx).AddEvent("query", trace.WithAttributes(
		semconv.DBQueryText(d.SQL), attribute.Int64("db.response.rows_affected", d.CommandTag.RowsAffected())))
}

func (pgTracer) TraceBatchEnd(ctx context.Context, _ *pgx.Conn, d pgx.TraceBatchEndData) {
	end(ctx, -1, d.Err)
}

func (pgTracer) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceCopyFromStartData) context.Context {
	ctx, _ = tracer.Start(ctx, "postgres COPY", clientKind,
		trace.WithAttributes(dbSystem, semconv.DBOperationName("COPY"), semconv.DBCollectionName(d.TableName.Sanitize())))
	return ctx
}

func (pgTracer) TraceCopyFromEnd(ctx context.Context, _ *pgx.Conn, d pgx.TraceCopyFromEndData) {
	end(ctx, d.CommandTag.RowsAffected(), d.Err)
}

func (pgTracer) TraceAcquireStart(ctx context.Context, _ *pgxpool.Pool, _ pgxpool.TraceAcquireStartData) context.Context {
	ctx, _ = tracer.Start(ctx, "postgres acquire", trace.WithAttributes(dbSystem))
	return ctx
}

func (pgTracer) TraceAcquireEnd(ctx context.Context, _ *pgxpool.Pool, d pgxpool.TraceAcquireEndData) {
	end(ctx, -1, d.Err)
}

// end finishes the span ctx carries; rows < 0: not a statement.
func end(ctx context.Context, rows int64, err error) {
	span := trace.SpanFromContext(ctx)
	if rows >= 0 {
		span.SetAttributes(attribute.Int64("db.response.rows_affected", rows))
	}
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		span.RecordError(err)
		span.SetStatus(codes.Error, "")
	}
	span.End()
}

// operation names a statement by its verb: the first INSERT, UPDATE,
// DELETE or MERGE of a WITH statement, else its first word.
func operation(sql string) string {
	fields := strings.Fields(sql)
	if len(fields) == 0 {
		return "QUERY"
	}
	first := strings.ToUpper(fields[0])
	if first != "WITH" {
		return first
	}
	for _, f := range fields[1:] {
		switch v := strings.ToUpper(f); v {
		case "INSERT", "UPDATE", "DELETE", "MERGE":
			return v
		}
	}
	return "SELECT"
}
