package main

import (
	"fmt"
	"log/slog"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/inmem"
	"github.com/echosenseix/echosenseix/server/internal/groupcommit"
	"github.com/echosenseix/echosenseix/server/redis"
	redisqueue "github.com/echosenseix/echosenseix/server/redis/queue"
)

// newQueue answers the job queue of QUEUE_PROVIDER: memory (per process),
// or redis/bull (asynq) on the Redis of rcfg, shared by every instance.
func newQueue(cfg *Config, rcfg redis.Config, log *slog.Logger) (server.Queue, error) {
	if !cfg.QueueRedis() {
		return inmem.NewQueue(inmem.QueueConfig{Concurrency: cfg.Queue.Concurrency, MaxAttempts: cfg.Queue.MaxRetries}), nil
	}
	q, err := redisqueue.New(redisqueue.Config{
		Addr: rcfg.Addr, Password: rcfg.Password, DB: rcfg.DB, TLS: rcfg.TLS, Cluster: rcfg.Cluster,
		Concurrency: cfg.Queue.Concurrency, MaxAttempts: cfg.Queue.MaxRetries, Logger: log,
	})
	if err != nil {
		return nil, fmt.Errorf("redis unreachable (%s, wanted by QUEUE_PROVIDER=%s): %w", cfg.RedisTarget(), cfg.Queue.Provider, err)
	}
	return q, nil
}

// newIngester answers the group-commit batcher in front of the call-log
// store (INGEST_BATCH_*; INGEST_BATCH_ENABLED=false inserts one row per
// request).
func newIngester(c IngestConfig, st server.CallLogStore) *groupcommit.Batcher {
	return groupcommit.New(st, groupcommit.Config{
		MaxBatch:   c.BatchMaxRows,
		MaxWait:    c.BatchMaxWait.D(),
		MaxPending: c.BatchMaxPending,
		Disabled:   !c.BatchEnabled,
	})
}
