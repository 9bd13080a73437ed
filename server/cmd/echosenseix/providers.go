package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/cluster"
	"github.com/echosenseix/echosenseix/server/inmem"
	"github.com/echosenseix/echosenseix/server/internal/groupcommit"
	"github.com/echosenseix/echosenseix/server/nats"
	"github.com/echosenseix/echosenseix/server/rabbitmq"
	"github.com/echosenseix/echosenseix/server/redis"
	redisqueue "github.com/echosenseix/echosenseix/server/redis/queue"
)

// newQueue answers the job queue of QUEUE_PROVIDER: memory (per process),
// redis/bull (asynq) on the Redis of rcfg, or rabbitmq on RABBITMQ_URL;
// the last two are shared by every instance.
func newQueue(cfg *Config, rcfg redis.Config, log *slog.Logger) (server.Queue, error) {
	if cfg.Queue.Provider == "rabbitmq" {
		q, err := rabbitmq.New(rabbitmq.Config{URL: cfg.Queue.RabbitMQURL, Concurrency: cfg.Queue.Concurrency,
			MaxAttempts: cfg.Queue.MaxRetries, Logger: log})
		if err != nil {
			return nil, fmt.Errorf("rabbitmq unreachable (RABBITMQ_URL=%s, wanted by QUEUE_PROVIDER=rabbitmq): %w", redactURL(cfg.Queue.RabbitMQURL), err)
		}
		return q, nil
	}
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

// newNATSBus answers the JetStream bus of BUS_PROVIDER=nats, its durable
// consumer named for this instance (and worker slot).
func newNATSBus(cfg *Config, worker *cluster.Worker, log *slog.Logger) (*nats.Bus, error) {
	slot := -1
	if worker != nil {
		slot = worker.Slot
	}
	bus, err := nats.NewBus(nats.Config{URL: cfg.Bus.NATSURL, Instance: cfg.busInstance(slot), Logger: log})
	if err != nil {
		return nil, fmt.Errorf("nats unreachable (NATS_URL=%s, wanted by BUS_PROVIDER=nats): %w", redactURL(cfg.Bus.NATSURL), err)
	}
	return bus, nil
}

// preflightBrokers checks, for the cluster primary, that the brokers the
// workers will use answer (and sets up their queues and stream once).
func preflightBrokers(cfg *Config, log *slog.Logger) error {
	if cfg.Queue.Provider == "rabbitmq" {
		q, err := rabbitmq.New(rabbitmq.Config{URL: cfg.Queue.RabbitMQURL, DisableWorkers: true, Logger: log})
		if err != nil {
			return fmt.Errorf("rabbitmq unreachable (RABBITMQ_URL=%s, wanted by QUEUE_PROVIDER=rabbitmq): %w", redactURL(cfg.Queue.RabbitMQURL), err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = q.Close(ctx)
	}
	if cfg.Bus.Provider == "nats" {
		bus, err := newNATSBus(cfg, nil, log)
		if err != nil {
			return err
		}
		_ = bus.Close()
	}
	return nil
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
