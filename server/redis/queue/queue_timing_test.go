package queue_test

import (
	"testing"

	"github.com/echosenseix/echosenseix/server/queuetest"
)

// BenchmarkQueueAdd: one AddJob is one asynq enqueue (a Lua script, one
// round trip). Producer-only instance, so nothing runs the jobs.
func BenchmarkQueueAdd(b *testing.B) {
	cfg := testConfig(b)
	cfg.DisableWorkers = true
	queuetest.BenchAdd(b, mustQueue(b, cfg))
}

// BenchmarkQueueRoundTrip: enqueue to handler run, one job in flight.
// Default PollInterval (1 s), as the server runs it: an idle asynq worker
// polls the queues, so a job added to an idle queue waits for the next
// poll.
func BenchmarkQueueRoundTrip(b *testing.B) {
	cfg := testConfig(b)
	cfg.PollInterval = 0 // the default
	queuetest.BenchRoundTrip(b, mustQueue(b, cfg))
}
