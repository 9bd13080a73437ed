package rabbitmq_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/rabbitmq"
)

// TestBrokerRestartLosesNoJob: on a private broker, 30 jobs wait (10 of
// them delayed) and 2 are running when the broker is killed (SIGKILL) and
// started again on the same data. AddJob fails fast meanwhile; the queue
// reconnects by itself; every confirmed job completes, the interrupted ones
// run again.
func TestBrokerRestartLosesNoJob(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a rabbitmq-server twice (about a minute)")
	}
	srv := stack.NewRabbitMQServer(t)
	cfg := rabbitmq.Config{URL: srv.URL, Prefix: "es_restart", Concurrency: 2, BackoffBase: 20 * time.Millisecond}
	q := mustQueue(t, cfg)
	var mu sync.Mutex
	runs := map[string]int{}
	hold := make(chan struct{})
	started := make(chan string, 64)
	q.Register("work", func(ctx context.Context, j *server.Job) error {
		started <- j.ID
		mu.Lock()
		runs[j.ID]++
		first := runs[j.ID] == 1
		mu.Unlock()
		if first && j.Priority == 9 {
			select { // the two held jobs: interrupted by the restart
			case <-hold:
			case <-ctx.Done():
			}
			return fmt.Errorf("interrupted")
		}
		return nil
	})
	ids := map[string]bool{}
	add := func(opt server.JobOptions) {
		j, err := q.AddJob(context.Background(), "work", nil, opt)
		if err != nil {
			t.Fatal(err)
		}
		ids[j.ID] = true
	}
	add(server.JobOptions{Priority: 9})
	add(server.JobOptions{Priority: 9})
	for range 2 {
		<-started
	}
	for i := range 30 {
		opt := server.JobOptions{}
		if i%3 == 0 {
			opt.Delay = 3 * time.Second
		}
		add(opt)
	}
	srv.Stop()
	start := time.Now()
	if _, err := q.AddJob(context.Background(), "work", nil, server.JobOptions{}); server.ErrorCode(err) != server.EUNAVAILABLE {
		t.Errorf("AddJob with the broker down: got %v; want EUNAVAILABLE", err)
	}
	if el := time.Since(start); el > 6*time.Second {
		t.Errorf("AddJob with the broker down took %v; want it to fail fast", el)
	}
	close(hold)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Logf("broker back after %v", time.Since(start).Round(time.Millisecond))
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		done := 0
		for id := range ids {
			if runs[id] > 0 {
				done++
			}
		}
		mu.Unlock()
		if done == len(ids) && q.Ping(context.Background()) == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs run after the broker restart: got %d of %d within 60s", done, len(ids))
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The two interrupted jobs must run again to completion.
	deadline = time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		again := 0
		for id := range ids {
			if runs[id] >= 2 {
				again++
			}
		}
		mu.Unlock()
		if again >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("interrupted jobs run again: got %d within 30s; want 2", again)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := q.AddJob(context.Background(), "work", nil, server.JobOptions{}); err != nil {
		t.Errorf("AddJob after the restart: %v", err)
	}
	m := q.Collectors()
	if up, re := testutil.ToFloat64(m[0]), testutil.ToFloat64(m[1]); up != 1 || re < 1 {
		t.Errorf("metrics after the restart: connected %v, reconnects %v; want 1 and >= 1", up, re)
	}
}
