package queue_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	goredis "github.com/redis/go-redis/v9"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/server/redis/queue"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(workerModeEnv); mode != "" {
		os.Exit(runWorker(mode))
	}
	code := m.Run()
	stack.StopAll()
	os.Exit(code)
}

// testConfig is a queue Config on the shared Redis with tb's own prefix;
// its queues and keys are deleted when tb ends.
func testConfig(tb testing.TB) queue.Config {
	tb.Helper()
	r := stack.NewRedis(tb)
	cfg := queue.Config{Addr: r.Addr, Password: r.Password, DB: r.DB, Prefix: r.Prefix,
		BackoffBase: 20 * time.Millisecond, PollInterval: 200 * time.Millisecond}
	tb.Cleanup(func() { cleanup(tb, cfg) })
	return cfg
}

func mustQueue(tb testing.TB, cfg queue.Config) *queue.Queue {
	tb.Helper()
	q, err := queue.New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		q.Close(ctx)
	})
	return q
}

// redisClient is a plain client for the test's own bookkeeping keys.
func redisClient(tb testing.TB, cfg queue.Config) *goredis.Client {
	rdb := goredis.NewClient(&goredis.Options{Addr: cfg.Addr, Password: cfg.Password, DB: cfg.DB})
	tb.Cleanup(func() { rdb.Close() })
	return rdb
}

func cleanup(tb testing.TB, cfg queue.Config) {
	rdb := goredis.NewClient(&goredis.Options{Addr: cfg.Addr, Password: cfg.Password, DB: cfg.DB})
	defer rdb.Close()
	insp := asynq.NewInspectorFromRedisClient(rdb)
	for lv := queue.MinPriority; lv <= queue.MaxPriority; lv++ {
		_ = insp.DeleteQueue(cfg.Prefix+"p"+strconv.Itoa(lv), true)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	iter := rdb.Scan(ctx, 0, cfg.Prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		rdb.Del(ctx, iter.Val())
	}
	if err := iter.Err(); err != nil {
		tb.Logf("cannot clean prefix %s: %v", cfg.Prefix, err)
	}
}
