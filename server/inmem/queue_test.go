package inmem

import (
	"context"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/queuetest"
)

func TestQueueContract(t *testing.T) {
	queuetest.Run(t, func(_ testing.TB, opt queuetest.Options) server.Queue {
		return NewQueue(QueueConfig{Concurrency: opt.Concurrency, MaxAttempts: opt.MaxAttempts, BackoffBase: opt.BackoffBase})
	})
}

func TestQueueConfigDefaults(t *testing.T) {
	got := QueueConfig{}.withDefaults()
	want := QueueConfig{Concurrency: 10, MaxAttempts: 3, BackoffBase: time.Second, BackoffMax: time.Minute, HistoryLimit: 1000}
	if got != want {
		t.Fatalf("got %+v; want %+v", got, want)
	}
}

func TestQueueBackoff(t *testing.T) {
	q := &Queue{cfg: QueueConfig{BackoffBase: 100 * time.Millisecond, BackoffMax: time.Second}.withDefaults()}
	tests := []struct {
		attempt  int
		min, max time.Duration
	}{
		{1, 50 * time.Millisecond, 100 * time.Millisecond},
		{2, 100 * time.Millisecond, 200 * time.Millisecond},
		{4, 400 * time.Millisecond, 800 * time.Millisecond},
		{5, 500 * time.Millisecond, time.Second},  // capped
		{80, 500 * time.Millisecond, time.Second}, // no overflow
	}
	for _, tt := range tests {
		for range 50 {
			if got := q.backoff(tt.attempt); got < tt.min || got > tt.max {
				t.Fatalf("backoff(%d): got %v; want in [%v, %v]", tt.attempt, got, tt.min, tt.max)
			}
		}
	}
}

// TestQueueHistoryBounded: completed and dead jobs beyond HistoryLimit are
// forgotten, oldest first.
func TestQueueHistoryBounded(t *testing.T) {
	q := NewQueue(QueueConfig{Concurrency: 1, MaxAttempts: 1, HistoryLimit: 3})
	t.Cleanup(func() { _ = q.Close(context.Background()) })
	ctx := context.Background()
	q.Register("ok", func(context.Context, *server.Job) error { return nil })
	q.Register("fail", func(context.Context, *server.Job) error { return context.DeadlineExceeded })
	var oks, fails []string
	for range 5 {
		oks = append(oks, queuetest.MustAdd(t, q, "ok", `{}`, server.JobOptions{}).ID)
		fails = append(fails, queuetest.MustAdd(t, q, "fail", `{}`, server.JobOptions{}).ID)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := queuetest.MustStats(t, q)
		if st.Pending == 0 && st.Processing == 0 && st.Completed == 3 && st.Failed == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats: got %+v; want completed=3 failed=3 and nothing left", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
	for i, ids := range [][]string{oks, fails} {
		for j, id := range ids {
			_, err := q.Job(ctx, id)
			if wantGone := j < 2; server.IsNotFound(err) != wantGone {
				t.Errorf("list %d job %d: got err %v; want forgotten=%v", i, j, err, wantGone)
			}
		}
	}
	dl, err := q.DeadLetters(ctx, 2)
	if err != nil || len(dl) != 2 || dl[0].ID != fails[4] || dl[1].ID != fails[3] {
		t.Fatalf("DeadLetters(2): got %v, %v; want the two newest dead jobs", dl, err)
	}
	if len(q.jobs) != 6 {
		t.Fatalf("jobs held: got %d; want 6", len(q.jobs))
	}
}

func TestQueuePingAfterClose(t *testing.T) {
	q := NewQueue(QueueConfig{Concurrency: 1})
	if err := q.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: got %v; want nil", err)
	}
	if err := q.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := q.Ping(context.Background()); server.ErrorCode(err) != server.EUNAVAILABLE {
		t.Fatalf("Ping after Close: got %v; want EUNAVAILABLE", err)
	}
}
