package redis

import (
	"context"
	"time"

	"github.com/redis/rueidis"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/echosenseix/echosenseix/server/internal/tracing"
)

var tracer = tracing.Tracer("github.com/echosenseix/echosenseix/server/redis")

// tracedClient makes every command (pipelines and client-side cached reads
// included) a client span named by its verb; NewClient installs it only
// with tracing on. Keys and values are never recorded. Receive (the bus's
// subscription) and dedicated connections are passed through untraced.
type tracedClient struct{ rueidis.Client }

var clientKind = trace.WithSpanKind(trace.SpanKindClient)

func start(ctx context.Context, name string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	return tracer.Start(ctx, name, clientKind, trace.WithAttributes(append(attrs, semconv.DBSystemNameRedis)...))
}

func verb(cs []string) string {
	if len(cs) == 0 {
		return "?"
	}
	return cs[0]
}

func finish(span trace.Span, err error) {
	if err != nil && !rueidis.IsRedisNil(err) {
		span.RecordError(err)
		span.SetStatus(codes.Error, "")
	}
	span.End()
}

func (t tracedClient) Do(ctx context.Context, cmd rueidis.Completed) rueidis.RedisResult {
	v := verb(cmd.Commands()) // read before Do: the command is recycled
	ctx, span := start(ctx, "redis "+v, semconv.DBOperationName(v))
	r := t.Client.Do(ctx, cmd)
	finish(span, r.Error())
	return r
}

func (t tracedClient) DoCache(ctx context.Context, cmd rueidis.Cacheable, ttl time.Duration) rueidis.RedisResult {
	v := verb(cmd.Commands())
	ctx, span := start(ctx, "redis "+v, semconv.DBOperationName(v))
	r := t.Client.DoCache(ctx, cmd, ttl)
	span.SetAttributes(attribute.Bool("redis.client_cache_hit", r.IsCacheHit()))
	finish(span, r.Error())
	return r
}

func (t tracedClient) DoMulti(ctx context.Context, multi ...rueidis.Completed) []rueidis.RedisResult {
	v := "PIPELINE"
	if len(multi) > 0 {
		v += " " + verb(multi[0].Commands())
	}
	ctx, span := start(ctx, "redis "+v, semconv.DBOperationName("PIPELINE"), semconv.DBOperationBatchSize(len(multi)))
	rs := t.Client.DoMulti(ctx, multi...)
	finish(span, firstError(rs))
	return rs
}

func (t tracedClient) DoMultiCache(ctx context.Context, multi ...rueidis.CacheableTTL) []rueidis.RedisResult {
	v := "PIPELINE"
	if len(multi) > 0 {
		v += " " + verb(multi[0].Cmd.Commands())
	}
	ctx, span := start(ctx, "redis "+v, semconv.DBOperationName("PIPELINE"), semconv.DBOperationBatchSize(len(multi)))
	rs := t.Client.DoMultiCache(ctx, multi...)
	finish(span, firstError(rs))
	return rs
}

func firstError(rs []rueidis.RedisResult) error {
	for _, r := range rs {
		if err := r.Error(); err != nil && !rueidis.IsRedisNil(err) {
			return err
		}
	}
	return nil
}
