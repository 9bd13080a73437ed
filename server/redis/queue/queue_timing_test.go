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
