package queue_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/redis/queue"
)

// Helper-process mode: the test binary re-executed with workerModeEnv set
// runs a queue worker instead of the tests ("block": handlers never finish,
// so the process can be killed mid-run; "finish": handlers complete).
const (
	workerModeEnv   = "QUEUETEST_WORKER_MODE"
	workerAddrEnv   = "QUEUETEST_WORKER_ADDR"
	workerPassEnv   = "QUEUETEST_WORKER_PASSWORD"
	workerDBEnv     = "QUEUETEST_WORKER_DB"
	workerPrefixEnv = "QUEUETEST_WORKER_PREFIX"
	// realLeaseEnv=1 waits for asynq's real lease expiry (30 s lease + 30 s
	// clock-skew margin + up to 60 s recoverer period: about 65 s) instead
	// of moving the dead worker's lease expiry back in time.
	realLeaseEnv = "QUEUE_REAL_LEASE"
)

const killJobs = 20

func runWorker(mode string) int {
	db, _ := strconv.Atoi(os.Getenv(workerDBEnv))
	cfg := queue.Config{Addr: os.Getenv(workerAddrEnv), Password: os.Getenv(workerPassEnv), DB: db,
		Prefix: os.Getenv(workerPrefixEnv), Concurrency: 4, BackoffBase: 20 * time.Millisecond,
		PollInterval: 200 * time.Millisecond}
	rdb := goredis.NewClient(&goredis.Options{Addr: cfg.Addr, Password: cfg.Password, DB: cfg.DB})
	defer rdb.Close()
	q, err := queue.New(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 2
	}
	q.Register("work", func(ctx context.Context, j *server.Job) error {
		if err := rdb.SAdd(ctx, cfg.Prefix+"started", j.ID).Err(); err != nil {
			return err
		}
		if mode == "block" {
			<-ctx.Done()
			return ctx.Err()
		}
		if err := rdb.HIncrBy(ctx, cfg.Prefix+"runs", j.ID, 1).Err(); err != nil {
			return err
		}
		return rdb.SAdd(ctx, cfg.Prefix+"done", j.ID).Err()
	})
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	<-ctx.Done()
	cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := q.Close(cctx); err != nil {
		return 1
	}
	return 0
}

func startWorker(t *testing.T, cfg queue.Config, mode string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), workerModeEnv+"="+mode, workerAddrEnv+"="+cfg.Addr, workerPassEnv+"="+cfg.Password,
		workerDBEnv+"="+strconv.Itoa(cfg.DB), workerPrefixEnv+"="+cfg.Prefix)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("cannot start worker process: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}

func waitCount(t *testing.T, rdb *goredis.Client, key string, n int64, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		got, err := rdb.SCard(context.Background(), key).Result()
		if err == nil && got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("SCARD %s = %d, %v after %v; want >= %d", key, got, err, d, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestWorkerKilledMidRun: a worker process takes jobs and is SIGKILLed while
// running them; a new worker process then finishes every job. None is lost.
func TestWorkerKilledMidRun(t *testing.T) {
	cfg := testConfig(t)
	producer := cfg
	producer.DisableWorkers = true
	p := mustQueue(t, producer)
	rdb := redisClient(t, cfg)
	ids := make([]string, killJobs)
	for i := range ids {
		j, err := p.AddJob(context.Background(), "work", []byte(strconv.Itoa(i)), server.JobOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = j.ID
	}

	a := startWorker(t, cfg, "block")
	waitCount(t, rdb, cfg.Prefix+"started", 4, 20*time.Second) // Concurrency 4: all busy
	if err := a.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = a.Wait()
	killed, err := rdb.SMembers(context.Background(), cfg.Prefix+"started").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range killed {
		if j, err := p.Job(context.Background(), id); err != nil || j.State != server.JobProcessing {
			t.Fatalf("Job(%s) after SIGKILL = %+v, %v; want processing (leased by the dead worker)", id, j, err)
		}
	}

	wait := 30 * time.Second
	if os.Getenv(realLeaseEnv) == "1" {
		wait = 150 * time.Second
		t.Logf("waiting for asynq's real lease expiry (about 65 s)")
	} else {
		expireLeases(t, rdb, cfg)
	}
	start := time.Now()
	startWorker(t, cfg, "finish")
	waitCount(t, rdb, cfg.Prefix+"done", killJobs, wait)
	t.Logf("all %d jobs done %v after the new worker started (%d were killed mid-run)", killJobs, time.Since(start).Round(time.Millisecond), len(killed))
	for _, id := range ids {
		n, err := rdb.HGet(context.Background(), cfg.Prefix+"runs", id).Int()
		if err != nil || n < 1 {
			t.Errorf("job %s completed runs = %d, %v; want >= 1", id, n, err)
		}
	}
	for _, id := range killed {
		if j, err := p.Job(context.Background(), id); err != nil || j.State != server.JobCompleted || j.Attempts != 2 {
			t.Errorf("Job(%s) = %+v, %v; want completed on attempt 2", id, j, err)
		}
	}
}

// expireLeases moves the leases of the dead worker's jobs 61 s into the
// past: what asynq's recoverer sees once the real lease (30 s) and its
// clock-skew margin (30 s) have passed. The recovery itself is asynq's.
func expireLeases(t *testing.T, rdb goredis.UniversalClient, cfg queue.Config) {
	t.Helper()
	ctx := context.Background()
	past := float64(time.Now().Add(-61 * time.Second).Unix())
	for lv := queue.MinPriority; lv <= queue.MaxPriority; lv++ {
		key := "asynq:{" + cfg.Prefix + "p" + strconv.Itoa(lv) + "}:lease"
		ids, err := rdb.ZRange(ctx, key, 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if err := rdb.ZAddXX(ctx, key, goredis.Z{Score: past, Member: id}).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
}
