package queue_test

import (
	"context"
	"testing"

	"github.com/echosenseix/echosenseix/server"
)

// BenchmarkQueueAdd: one AddJob is one asynq enqueue (a Lua script, one
// round trip). Producer-only instance, so nothing runs the jobs.
func BenchmarkQueueAdd(b *testing.B) {
	cfg := testConfig(b)
	cfg.DisableWorkers = true
	q := mustQueue(b, cfg)
	data := []byte(`{"documentId":"123"}`)
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := q.AddJob(context.Background(), "bench", data, server.JobOptions{Priority: 5}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := q.AddJob(context.Background(), "bench", data, server.JobOptions{Priority: 5}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkQueueRoundTrip: AddJob, then wait until a worker of the same
// instance ran the job: one job in flight at a time. Default PollInterval
// (1 s), as the server runs it: an idle asynq worker polls the queues, so
// a job added to an idle queue waits for the next poll.
func BenchmarkQueueRoundTrip(b *testing.B) {
	cfg := testConfig(b)
	cfg.PollInterval = 0 // the default
	q := mustQueue(b, cfg)
	done := make(chan struct{}, 1)
	q.Register("bench", func(context.Context, *server.Job) error { done <- struct{}{}; return nil })
	data := []byte(`{"documentId":"123"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := q.AddJob(context.Background(), "bench", data, server.JobOptions{Priority: 5}); err != nil {
			b.Fatal(err)
		}
		<-done
	}
}
