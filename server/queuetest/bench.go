package queuetest

import (
	"context"
	"testing"

	"github.com/echosenseix/echosenseix/server"
)

// benchData is the payload of the benchmarks' jobs.
var benchData = []byte(`{"documentId":"123"}`)

// BenchAdd measures AddJob on q (a producer-only queue, so nothing runs
// the jobs): serial, then from GOMAXPROCS goroutines. Providers name it
// BenchmarkQueueAdd, so that make bench pairs them.
func BenchAdd(b *testing.B, q server.Queue) {
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := q.AddJob(context.Background(), "bench", benchData, server.JobOptions{Priority: 5}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := q.AddJob(context.Background(), "bench", benchData, server.JobOptions{Priority: 5}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchRoundTrip measures AddJob until a worker of q ran the job, one job
// in flight at a time (enqueue, delivery, handler, settlement). Providers
// name it BenchmarkQueueRoundTrip.
func BenchRoundTrip(b *testing.B, q server.Queue) {
	done := make(chan struct{}, 1)
	q.Register("bench", func(context.Context, *server.Job) error { done <- struct{}{}; return nil })
	b.ReportAllocs()
	for b.Loop() {
		if _, err := q.AddJob(context.Background(), "bench", benchData, server.JobOptions{Priority: 5}); err != nil {
			b.Fatal(err)
		}
		recv(b, done, longWait, "job run")
	}
}
