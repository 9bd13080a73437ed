package groupcommit

import (
	"context"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/internal/tracing"
)

// spanInserter records the span context each InsertCallLogs call sees.
type spanInserter struct {
	fakeInserter
	mu  sync.Mutex
	scs []trace.SpanContext
}

func (s *spanInserter) InsertCallLogs(ctx context.Context, logs []*server.CallLog) ([]server.IngestResult, error) {
	s.mu.Lock()
	s.scs = append(s.scs, trace.SpanContextFromContext(ctx))
	s.mu.Unlock()
	return s.fakeInserter.InsertCallLogs(ctx, logs)
}

// TestBatchSpan: three traced requests in one batch give one
// groupcommit.flush span, child of one request's span and linked to the
// other two, and the insert runs in the batch span's context.
func TestBatchSpan(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tracing.Install(tp)()
	ins := &spanInserter{}
	b := New(ins, Config{AlwaysWait: true, MaxWait: 200 * time.Millisecond, MaxBatch: 3})
	defer b.Close(context.Background())

	reqTracer := tp.Tracer("test")
	reqs := map[trace.SpanID]bool{}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := range 3 {
		ctx, span := reqTracer.Start(context.Background(), "request")
		reqs[span.SpanContext().SpanID()] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer span.End()
			if _, err := b.Ingest(ctx, newLog("conv-span-"+string(rune('a'+i)))); err != nil {
				mu.Lock()
				t.Errorf("Ingest: %v", err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if calls := ins.calls(); len(calls) != 1 || len(calls[0]) != 3 {
		t.Fatalf("batches %v; want one of 3", calls)
	}
	var flush sdktrace.ReadOnlySpan
	for _, s := range exp.GetSpans().Snapshots() {
		if s.Name() == "groupcommit.flush" {
			flush = s
		}
	}
	if flush == nil {
		t.Fatal("no groupcommit.flush span")
	}
	if !reqs[flush.Parent().SpanID()] {
		t.Errorf("flush parent %s is none of the requests' spans", flush.Parent().SpanID())
	}
	linked := map[trace.SpanID]bool{flush.Parent().SpanID(): true}
	for _, l := range flush.Links() {
		linked[l.SpanContext.SpanID()] = true
	}
	if len(linked) != 3 || len(flush.Links()) != 2 {
		t.Errorf("flush: parent plus %d links cover %d of the 3 requests", len(flush.Links()), len(linked))
	}
	if len(ins.scs) != 1 || ins.scs[0].SpanID() != flush.SpanContext().SpanID() {
		t.Errorf("the insert ran under span %v; want the flush span %s", ins.scs, flush.SpanContext().SpanID())
	}
}
