package inmem

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// BenchmarkQueueAddRun measures jobs through the memory queue: AddJob plus
// one run of a no-op handler on the default 10 workers. jobs/s is reported.
func BenchmarkQueueAddRun(b *testing.B) {
	q := NewQueue(QueueConfig{})
	defer func() { _ = q.Close(context.Background()) }()
	var wg sync.WaitGroup
	q.Register("noop", func(context.Context, *server.Job) error { wg.Done(); return nil })
	data := []byte(`{"documentId":"123","userId":"456"}`)
	ctx := context.Background()
	b.ReportAllocs()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			wg.Add(1)
			if _, err := q.AddJob(ctx, "noop", data, server.JobOptions{Priority: 1}); err != nil {
				b.Error(err)
				wg.Done()
			}
		}
	})
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "jobs/s")
}
