// Package queuetest is the contract every server.Queue provider passes (the
// memory queue, the Redis/asynq queue, the RabbitMQ queue). Call Run from
// the provider's tests.
//
// Timing the suite accepts: a provider may schedule delays and retries with
// a coarse granularity (asynq keeps run times in whole seconds and polls for
// due jobs), so the suite waits with deadlines of 10 to 60 s and asserts
// order and counts, not exact times. What it does require:
//   - a delayed job never runs before its delay (round run times up, not down);
//   - retry n+1 starts at least BackoffBase/2 after retry n ended;
//   - priorities 1, 5 and 10 are distinct levels, higher first, FIFO within one;
//   - with Concurrency 1, a worker takes no new job while it runs one;
//   - Job(id) returns the job's Priority, OrganizationID, Data and
//     MaxAttempts as added, and Attempts = handler runs started so far
//     (the handler's *Job shows its own run counted);
//   - Stats are exact for a fresh queue: Completed counts completed jobs
//     still kept (asynq: give tasks a Retention), Failed the dead-letter set
//     (asynq: archived), Delayed includes jobs waiting for a retry.
//
// Against the memory queue with BackoffBase 20 ms the suite takes about 2 s;
// with a second granularity expect 10-20 s.
//
// The suite is safe against a shared, real backend: each subtest makes its
// own queue through newQueue and uses job types with a random suffix. The
// suite calls Close itself (at the end of each subtest, and again in a
// cleanup), so Close must be idempotent. Every handler is registered before
// the first job of its type is added.
package queuetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// Options are what the suite asks of a queue it gets from newQueue.
type Options struct {
	Concurrency int           // worker count (QUEUE_CONCURRENCY)
	MaxAttempts int           // default attempts per job (QUEUE_MAX_RETRIES)
	BackoffBase time.Duration // delay before the first retry
}

// DeadLetterer is the optional ability to list the dead-letter set, newest
// first; the suite checks it when the queue has it.
type DeadLetterer interface {
	DeadLetters(ctx context.Context, limit int) ([]*server.Job, error)
}

// Deadlines.
const (
	shortWait = 10 * time.Second // one job, or a retry chain
	longWait  = 60 * time.Second // the 1,000-job run
)

// Run runs the contract against queues made by newQueue.
func Run(t *testing.T, newQueue func(t testing.TB, opt Options) server.Queue) {
	tests := []struct {
		name        string
		concurrency int
		fn          func(t *testing.T, q server.Queue, opt Options)
	}{
		{"HandlerRunsWithData", 2, testHandlerRunsWithData},
		{"PriorityOrder", 1, testPriorityOrder},
		{"RetryThenDeadLetter", 2, testRetryThenDeadLetter},
		{"RetryThenSucceed", 2, testRetryThenSucceed},
		{"UnknownType", 2, testUnknownType},
		{"Delayed", 2, testDelayed},
		{"Stats", 1, testStats},
		{"JobStates", 1, testJobStates},
		{"InvalidAdd", 1, testInvalidAdd},
		{"CloseDrains", 2, testCloseDrains},
		{"CloseAbandons", 1, testCloseAbandons},
		{"ThousandJobsOnce", 10, testThousandJobsOnce},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := Options{Concurrency: tt.concurrency, MaxAttempts: 3, BackoffBase: 20 * time.Millisecond}
			q := newQueue(t, opt)
			t.Cleanup(func() { mustClose(t, q, 10*time.Second) })
			tt.fn(t, q, opt)
		})
	}
}

// jobType returns a job type unique to this run.
func jobType(t testing.TB, name string) string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "queuetest-" + name + "-" + hex.EncodeToString(b[:])
}

// MustAdd adds a job or fails the test.
func MustAdd(tb testing.TB, q server.Queue, jobType string, data string, opt server.JobOptions) *server.Job {
	tb.Helper()
	j, err := q.AddJob(context.Background(), jobType, []byte(data), opt)
	if err != nil {
		tb.Fatalf("AddJob(%q): %v", jobType, err)
	}
	if j == nil || j.ID == "" {
		tb.Fatalf("AddJob(%q): got job %+v; want one with an ID", jobType, j)
	}
	return j
}

// MustJob gets a job or fails the test.
func MustJob(tb testing.TB, q server.Queue, id string) *server.Job {
	tb.Helper()
	j, err := q.Job(context.Background(), id)
	if err != nil {
		tb.Fatalf("Job(%q): %v", id, err)
	}
	return j
}

// MustStats gets the stats or fails the test.
func MustStats(tb testing.TB, q server.Queue) server.QueueStats {
	tb.Helper()
	st, err := q.Stats(context.Background())
	if err != nil {
		tb.Fatalf("Stats: %v", err)
	}
	return st
}

func mustClose(tb testing.TB, q server.Queue, d time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := q.Close(ctx); err != nil {
		tb.Errorf("Close: %v", err)
	}
}

// eventually polls cond every 10 ms until it returns true or d passes;
// then it fails with the last description cond gave.
func eventually(tb testing.TB, d time.Duration, cond func() (bool, string)) {
	tb.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, desc := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("not within %v: %s", d, desc)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitState waits until the job with id is in state.
func waitState(tb testing.TB, q server.Queue, id, state string, d time.Duration) *server.Job {
	tb.Helper()
	var j *server.Job
	eventually(tb, d, func() (bool, string) {
		j = MustJob(tb, q, id)
		return j.State == state, "job " + id + ": got state " + j.State + "; want " + state
	})
	return j
}

// recv receives from ch or fails after d.
func recv[T any](tb testing.TB, ch <-chan T, d time.Duration, what string) T {
	tb.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		tb.Fatalf("no %s within %v", what, d)
		panic("unreachable")
	}
}

// blocker registers a handler of a new type that signals started and holds
// its worker until release is closed (or its ctx ends). The test's cleanup
// closes release if the test did not.
type blocker struct {
	typ     string
	started chan string
	release chan struct{}
	closed  bool
}

func newBlocker(t *testing.T, q server.Queue) *blocker {
	b := &blocker{typ: jobType(t, "blocker"), started: make(chan string, 16), release: make(chan struct{})}
	q.Register(b.typ, func(ctx context.Context, j *server.Job) error {
		b.started <- j.ID
		select {
		case <-b.release:
		case <-ctx.Done():
		}
		return nil
	})
	t.Cleanup(b.Release)
	return b
}

// Release lets every blocked handler return.
func (b *blocker) Release() {
	if !b.closed {
		b.closed = true
		close(b.release)
	}
}

// start adds one blocking job and waits until a worker runs it.
func (b *blocker) start(t *testing.T, q server.Queue) *server.Job {
	t.Helper()
	j := MustAdd(t, q, b.typ, `{}`, server.JobOptions{})
	if id := recv(t, b.started, shortWait, "blocker start"); id != j.ID {
		t.Fatalf("blocker started job %s; want %s", id, j.ID)
	}
	return j
}
