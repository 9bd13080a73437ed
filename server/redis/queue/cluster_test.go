package queue_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	goredis "github.com/redis/go-redis/v9"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/queuetest"
	"github.com/echosenseix/echosenseix/server/redis/queue"
)

// clusterConfig is a queue Config on this test binary's Redis Cluster with
// tb's own prefix; its queues are deleted when tb ends.
func clusterConfig(tb testing.TB, addrs []string, prefix string) queue.Config {
	tb.Helper()
	cfg := queue.Config{Cluster: addrs, Prefix: prefix, BackoffBase: 20 * time.Millisecond, PollInterval: 200 * time.Millisecond}
	tb.Cleanup(func() {
		rdb := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: addrs})
		defer rdb.Close()
		insp := asynq.NewInspectorFromRedisClient(rdb)
		for lv := queue.MinPriority; lv <= queue.MaxPriority; lv++ {
			_ = insp.DeleteQueue(prefix+"p"+strconv.Itoa(lv), true)
		}
	})
	return cfg
}

func TestClusterQueueContract(t *testing.T) {
	queuetest.Run(t, func(tb testing.TB, opt queuetest.Options) server.Queue {
		r := stack.NewRedisClusterPrefix(tb)
		cfg := clusterConfig(tb, r.Cluster, r.Prefix)
		cfg.Concurrency, cfg.MaxAttempts, cfg.BackoffBase = opt.Concurrency, opt.MaxAttempts, opt.BackoffBase
		return mustQueue(tb, cfg)
	})
}

// TestClusterFailoverLosesNoJob: jobs enqueued before, during and after a
// CLUSTER FAILOVER of the master holding the queue's slot all run. The
// producer retries an AddJob that failed mid-failover with the same job id
// until one is acknowledged; every acknowledged job must run (at least
// once; an enqueue that failed mid-failover may still have landed, which
// makes an extra job, never a lost one). A graceful failover waits for the replica to catch up, so no
// acknowledged enqueue is lost; after a SIGKILL of a master, asynchronous
// replication may lose the last acknowledged writes (Redis' own rule).
func TestClusterFailoverLosesNoJob(t *testing.T) {
	const jobs = 150
	cl := stack.NewRedisCluster(t, 3, 1)
	cfg := clusterConfig(t, cl.Addrs(), "failover:")
	cfg.Concurrency = 4
	q := mustQueue(t, cfg)
	var mu sync.Mutex
	runs := map[string]int{}
	q.Register("work", func(_ context.Context, j *server.Job) error {
		mu.Lock()
		runs[j.ID]++
		mu.Unlock()
		return nil
	})
	ids := make([]string, jobs)
	failedOver := make(chan error, 1)
	for i := range ids {
		if i == jobs/3 {
			go func() {
				// asynq keeps queue p<level> under the tag {failover:p<level>}.
				_, err := cl.Failover("asynq:{" + cfg.Prefix + "p" + strconv.Itoa(queue.MaxPriority/2) + "}:pending")
				failedOver <- err
			}()
		}
		ids[i] = addEventually(t, q, i)
		time.Sleep(20 * time.Millisecond)
	}
	if err := <-failedOver; err != nil {
		t.Fatal(err)
	}
	missing := func() []string {
		mu.Lock()
		defer mu.Unlock()
		var out []string
		for _, id := range ids {
			if runs[id] == 0 {
				out = append(out, id)
			}
		}
		return out
	}
	waitRan := func(d time.Duration) []string {
		deadline := time.Now().Add(d)
		for {
			m := missing()
			if len(m) == 0 || time.Now().After(deadline) {
				return m
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	m := waitRan(15 * time.Second)
	if len(m) > 0 {
		// A dequeue whose reply was lost mid-failover leaves its job
		// leased in the active list: asynq's recoverer gives it back
		// once the lease (30 s) and its skew margin (30 s) have passed.
		// As in TestWorkerKilledMidRun the leases are moved back in time;
		// the recovery itself is asynq's (its recoverer runs every minute).
		for _, id := range m {
			j, err := q.Job(context.Background(), id)
			if err != nil || j.State != server.JobProcessing {
				t.Fatalf("job %s did not run and is %+v, %v; want processing (leased)", id, j, err)
			}
		}
		t.Logf("%d jobs leased when the failover cut their dequeue reply; expiring their leases", len(m))
		rdb := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: cl.Addrs()})
		defer rdb.Close()
		expireLeases(t, rdb, cfg)
		m = waitRan(90 * time.Second)
	}
	if len(m) > 0 {
		t.Fatalf("%d of %d acknowledged jobs never ran after the failover (first: %v)", len(m), jobs, m[0])
	}
	mu.Lock()
	dup := 0
	for _, n := range runs {
		if n > 1 {
			dup++
		}
	}
	mu.Unlock()
	t.Logf("all %d jobs ran, %d of them more than once", jobs, dup)
}

// addEventually enqueues job n and answers its id, retrying for up to
// 15 s while the cluster moves the queue's slot.
func addEventually(tb testing.TB, q server.Queue, n int) string {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		j, err := q.AddJob(context.Background(), "work", fmt.Appendf(nil, `{"n":%d}`, n), server.JobOptions{Priority: queue.MaxPriority / 2})
		if err == nil {
			return j.ID
		}
		if time.Now().After(deadline) {
			tb.Fatalf("AddJob(%d) = %v for 15s", n, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
