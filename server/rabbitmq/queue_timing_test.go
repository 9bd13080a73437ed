package rabbitmq_test

import (
	"testing"

	"github.com/echosenseix/echosenseix/server/queuetest"
)

// BenchmarkQueueAdd: one AddJob is one persistent publish and its
// publisher confirm. The peer is server/redis/queue's benchmark of the
// same name (asynq).
func BenchmarkQueueAdd(b *testing.B) {
	cfg := testConfig(b)
	cfg.DisableWorkers = true
	queuetest.BenchAdd(b, mustQueue(b, cfg))
}

// BenchmarkQueueRoundTrip: enqueue to handler run, one job in flight; the
// broker pushes the job to the waiting consumer.
func BenchmarkQueueRoundTrip(b *testing.B) {
	queuetest.BenchRoundTrip(b, mustQueue(b, testConfig(b)))
}
