package queue_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// TestTenThousandJobsTwoInstances: 10,000 jobs added through two Queue
// instances (two "servers" sharing the queues) each run exactly once when
// no worker dies. Runs are counted in Redis (HINCRBY per job id).
func TestTenThousandJobsTwoInstances(t *testing.T) {
	const n = 10_000
	cfg := testConfig(t)
	rdb := redisClient(t, cfg)
	runsKey := cfg.Prefix + "runs"
	h := func(ctx context.Context, j *server.Job) error {
		return rdb.HIncrBy(ctx, runsKey, j.ID, 1).Err()
	}
	qs := []server.Queue{mustQueue(t, cfg), mustQueue(t, cfg)}
	for _, q := range qs {
		q.Register("count", h)
	}
	start := time.Now()
	ids := make([]string, n)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				j, err := qs[i%2].AddJob(context.Background(), "count", fmt.Appendf(nil, `{"i":%d}`, i), server.JobOptions{})
				if err != nil {
					t.Errorf("AddJob %d: %v", i, err)
					return
				}
				ids[i] = j.ID
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	added := time.Since(start)
	deadline := time.Now().Add(90 * time.Second)
	for {
		got, err := rdb.HLen(context.Background(), runsKey).Result()
		if err == nil && got == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs run: got %d, %v; want %d", got, err, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Nothing left to run: the counts below are final.
	deadline = time.Now().Add(10 * time.Second)
	for {
		st, err := qs[0].Stats(context.Background())
		if err == nil && st.Pending+st.Processing+st.Delayed == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats = %+v, %v; want nothing pending, processing or delayed", st, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	runs, err := rdb.HGetAll(context.Background(), runsKey).Result()
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		if runs[id] != "1" {
			t.Errorf("job %d (%s) ran %q times; want 1", i, id, runs[id])
		}
	}
	t.Logf("%d jobs: added in %v, all run once in %v", n, added.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}
