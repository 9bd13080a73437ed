package queue_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/redis/queue"
)

func TestRunsJobWithFields(t *testing.T) {
	q := mustQueue(t, testConfig(t))
	got := make(chan *server.Job, 1)
	q.Register("t", func(_ context.Context, j *server.Job) error { got <- j; return nil })
	j, err := q.AddJob(context.Background(), "t", []byte(`{"a":1}`), server.JobOptions{Priority: 42, OrganizationID: "org1"})
	if err != nil {
		t.Fatal(err)
	}
	var run *server.Job
	select {
	case run = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("job did not run within 10s")
	}
	if run.ID != j.ID || string(run.Data) != `{"a":1}` || run.OrganizationID != "org1" || run.Priority != 42 ||
		run.Attempts != 1 || run.MaxAttempts != 3 || !run.CreatedAt.Equal(j.CreatedAt) {
		t.Errorf("handler got %+v; want fields of %+v with Attempts 1", run, j)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		jj, err := q.Job(context.Background(), j.ID)
		if err == nil && jj.State == server.JobCompleted {
			if jj.Attempts != 1 || jj.CompletedAt == nil || jj.Priority != 42 {
				t.Errorf("Job = %+v; want completed, 1 attempt, priority 42", jj)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Job(%s) = %+v, %v; want completed", j.ID, jj, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := q.Job(context.Background(), "nope"); server.ErrorCode(err) != server.ENOTFOUND {
		t.Errorf("Job(unknown) = %v; want ENOTFOUND", err)
	}
}

// TestPriorityClamp: priorities beyond the levels run as the nearest level,
// so 99 runs before 5 and -3 after 0-priority jobs added earlier.
func TestPriorityClamp(t *testing.T) {
	cfg := testConfig(t)
	cfg.Concurrency = 1
	producer := cfg
	producer.DisableWorkers = true
	p := mustQueue(t, producer)
	var mu sync.Mutex
	var order []int
	done := make(chan struct{}, 10)
	add := func(prio int) {
		if _, err := p.AddJob(context.Background(), "t", nil, server.JobOptions{Priority: prio}); err != nil {
			t.Fatal(err)
		}
	}
	for _, prio := range []int{-3, 0, 5, 99, 10} {
		add(prio)
	}
	q := mustQueue(t, cfg)
	q.Register("t", func(_ context.Context, j *server.Job) error {
		mu.Lock()
		order = append(order, j.Priority)
		mu.Unlock()
		done <- struct{}{}
		return nil
	})
	for range 5 {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("jobs did not run; order so far %v", order)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	want := []int{99, 10, 5, -3, 0} // 99 and 10 share level 10, FIFO; -3 and 0 share level 0
	if fmt.Sprint(order) != fmt.Sprint(want) {
		t.Errorf("run order = %v; want %v", order, want)
	}
}

func TestAddJobRedisDown(t *testing.T) {
	srv := stack.NewRedisServer(t)
	cfg := queue.Config{Addr: srv.Addr, Prefix: "es_down:", PollInterval: 200 * time.Millisecond}
	q := mustQueue(t, cfg)
	srv.Stop()
	start := time.Now()
	_, err := q.AddJob(context.Background(), "t", nil, server.JobOptions{})
	if got := server.ErrorCode(err); got != server.EUNAVAILABLE {
		t.Fatalf("AddJob with Redis down code = %q (%v); want %q", got, err, server.EUNAVAILABLE)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("AddJob with Redis down took %v; want < 3s", took)
	}
	if err := q.Ping(context.Background()); server.ErrorCode(err) != server.EUNAVAILABLE {
		t.Errorf("Ping with Redis down = %v; want EUNAVAILABLE", err)
	}
	if _, err := q.Stats(context.Background()); server.ErrorCode(err) != server.EUNAVAILABLE {
		t.Errorf("Stats with Redis down = %v; want EUNAVAILABLE", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	ran := make(chan struct{}, 1)
	q.Register("t", func(context.Context, *server.Job) error { ran <- struct{}{}; return nil })
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := q.AddJob(context.Background(), "t", nil, server.JobOptions{})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("AddJob still failing 5s after Redis restarted: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case <-ran:
	case <-time.After(10 * time.Second):
		t.Fatal("job added after the restart did not run within 10s")
	}
}

func TestNewUnreachable(t *testing.T) {
	_, err := queue.New(queue.Config{Addr: "127.0.0.1:1"})
	if got := server.ErrorCode(err); got != server.EUNAVAILABLE {
		t.Fatalf("New(unreachable) code = %q (%v); want %q", got, err, server.EUNAVAILABLE)
	}
}

// TestUnavailableDoesNotUseAttempts: a handler failing with EUNAVAILABLE
// (an outage, not the job) more times than MaxAttempts still completes the
// job once the outage ends; another error reaches the dead letter.
func TestUnavailableDoesNotUseAttempts(t *testing.T) {
	q := mustQueue(t, testConfig(t))
	var outage atomic.Int32
	done := make(chan struct{}, 1)
	q.Register("t", func(context.Context, *server.Job) error {
		if outage.Add(1) <= 4 { // MaxAttempts is 3
			return server.Errorf(server.EUNAVAILABLE, "database unavailable")
		}
		done <- struct{}{}
		return nil
	})
	if _, err := q.AddJob(context.Background(), "t", []byte(`{}`), server.JobOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("job did not complete after %d EUNAVAILABLE failures within 30s", outage.Load())
	}
	q.Register("bad", func(context.Context, *server.Job) error { return server.Errorf(server.EINVALID, "bad job") })
	j, err := q.AddJob(context.Background(), "bad", []byte(`{}`), server.JobOptions{})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		jj, err := q.Job(context.Background(), j.ID)
		if err == nil && jj.State == server.JobDead {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Job(%s) = %+v, %v; want dead (dead letter) after its attempts", j.ID, jj, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
