package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	goredis "github.com/redis/go-redis/v9"

	"github.com/echosenseix/echosenseix/server"
)

var (
	_ server.Queue  = (*Queue)(nil)
	_ server.Pinger = (*Queue)(nil)
)

// Task headers carrying the Job fields asynq has no place for.
const (
	headerOrg      = "es-org"
	headerPriority = "es-priority"
	headerCreated  = "es-created"
)

// Queue is a server.Queue on asynq. Every instance made with the same
// Addr, DB and Prefix shares the jobs; each runs Concurrency of them.
type Queue struct {
	cfg     Config
	rdb     goredis.UniversalClient
	client  *asynq.Client
	insp    *asynq.Inspector
	srv     *asynq.Server
	queues  []string // by level, index = level
	timeout time.Duration

	mu       sync.RWMutex
	handlers map[string]server.JobHandler

	inflight  sync.WaitGroup
	running   atomic.Int64
	baseCtx   context.Context
	cancelRun context.CancelFunc
	closed    atomic.Bool
	closeOnce sync.Once
}

// New connects to cfg's Redis and starts Concurrency workers. It answers an
// error coded EUNAVAILABLE when Redis does not answer a PING now.
func New(cfg Config) (*Queue, error) {
	cfg = cfg.withDefaults()
	rdb := newRedisClient(cfg)
	q := &Queue{cfg: cfg, rdb: rdb, handlers: make(map[string]server.JobHandler), timeout: cfg.DialTimeout + cfg.ReadTimeout}
	ctx, cancel := context.WithTimeout(context.Background(), q.timeout)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, server.WrapError(server.EUNAVAILABLE, "job queue unavailable", fmt.Errorf("cannot connect to redis at %s: %w", cfg.target(), err))
	}
	weights := make(map[string]int, MaxPriority-MinPriority+1)
	for level := MinPriority; level <= MaxPriority; level++ {
		name := cfg.Prefix + "p" + strconv.Itoa(level)
		q.queues = append(q.queues, name)
		weights[name] = level - MinPriority + 1
	}
	q.baseCtx, q.cancelRun = context.WithCancel(context.Background())
	q.client = asynq.NewClientFromRedisClient(rdb)
	q.insp = asynq.NewInspectorFromRedisClient(rdb)
	q.srv = asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Concurrency:              cfg.Concurrency,
		BaseContext:              func() context.Context { return q.baseCtx },
		Queues:                   weights,
		StrictPriority:           true,
		RetryDelayFunc:           q.retryDelay,
		TaskCheckInterval:        cfg.PollInterval,
		DelayedTaskCheckInterval: cfg.PollInterval,
		ShutdownTimeout:          100 * time.Millisecond, // Close has waited already
		Logger:                   asynqLogger{cfg.Logger},
		LogLevel:                 asynq.WarnLevel,
	})
	if cfg.DisableWorkers {
		return q, nil
	}
	if err := q.srv.Start(asynq.HandlerFunc(q.handle)); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("cannot start job queue workers: %w", err)
	}
	return q, nil
}

// newRedisClient is the go-redis client asynq runs on: a cluster client
// when cfg.Cluster is set (asynq's own keys carry {queue} hash tags), else
// a client of the one Redis.
func newRedisClient(cfg Config) goredis.UniversalClient {
	if len(cfg.Cluster) > 0 {
		return goredis.NewClusterClient(&goredis.ClusterOptions{
			Addrs: cfg.Cluster, Password: cfg.Password, TLSConfig: cfg.TLS,
			DialTimeout: cfg.DialTimeout, ReadTimeout: cfg.ReadTimeout, WriteTimeout: cfg.ReadTimeout,
			// A MOVED after a failover is followed regardless; retries of
			// transport errors stay off, as for the single client.
			MaxRetries:   -1,
			MaxRedirects: 8,
			PoolSize:     cfg.Concurrency + 10,
		})
	}
	return goredis.NewClient(&goredis.Options{
		Addr: cfg.Addr, Password: cfg.Password, DB: cfg.DB, TLSConfig: cfg.TLS,
		DialTimeout: cfg.DialTimeout, ReadTimeout: cfg.ReadTimeout, WriteTimeout: cfg.ReadTimeout,
		MaxRetries: -1, // fail fast; asynq retries its own background work
		PoolSize:   cfg.Concurrency + 10,
	})
}

// target names cfg's Redis in messages.
func (c Config) target() string {
	if len(c.Cluster) > 0 {
		return "cluster " + strings.Join(c.Cluster, ",")
	}
	return c.Addr
}

// level clamps a priority to a level.
func level(priority int) int { return min(max(priority, MinPriority), MaxPriority) }

// Register sets the handler of jobType; it may be called at any time.
func (q *Queue) Register(jobType string, h server.JobHandler) {
	q.mu.Lock()
	q.handlers[jobType] = h
	q.mu.Unlock()
}

// AddJob enqueues a job. Data must be empty or JSON. With Redis unreachable
// it fails within DialTimeout+ReadTimeout with EUNAVAILABLE.
func (q *Queue) AddJob(ctx context.Context, jobType string, data []byte, opt server.JobOptions) (*server.Job, error) {
	if q.closed.Load() {
		return nil, server.Errorf(server.EUNAVAILABLE, "job queue is closed")
	}
	if err := server.CheckJob(jobType, data, opt); err != nil {
		return nil, err
	}
	if len(data) == 0 {
		data = []byte("null")
	}
	attempts := opt.MaxAttempts
	if attempts == 0 {
		attempts = q.cfg.MaxAttempts
	}
	lv := level(opt.Priority)
	now := time.Now().UTC()
	j := &server.Job{
		ID: newID(lv), Type: jobType, OrganizationID: opt.OrganizationID, Data: json.RawMessage(data),
		Priority: opt.Priority, State: server.JobPending, MaxAttempts: attempts, CreatedAt: now,
	}
	headers := map[string]string{headerPriority: strconv.Itoa(opt.Priority), headerCreated: now.Format(time.RFC3339Nano)}
	if opt.OrganizationID != "" {
		headers[headerOrg] = opt.OrganizationID
	}
	opts := []asynq.Option{asynq.TaskID(j.ID), asynq.Queue(q.queues[lv]), asynq.MaxRetry(attempts - 1),
		asynq.Retention(q.cfg.Retention)}
	if opt.Delay > 0 {
		opts = append(opts, asynq.ProcessAt(ceilSecond(now.Add(opt.Delay))))
		j.State = server.JobDelayed
	}
	ctx, cancel := context.WithTimeout(ctx, q.timeout)
	defer cancel()
	if _, err := q.client.EnqueueContext(ctx, asynq.NewTaskWithHeaders(jobType, data, headers), opts...); err != nil {
		if errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
			return nil, server.WrapError(server.ECONFLICT, "job id conflict", err)
		}
		return nil, server.WrapError(server.EUNAVAILABLE, "job queue unavailable", fmt.Errorf("cannot add job: %w", err))
	}
	return j, nil
}

// ceilSecond rounds t up to a whole second: asynq stores run times in
// seconds, and a job must never run before its time.
func ceilSecond(t time.Time) time.Time {
	if s := t.Truncate(time.Second); !s.Equal(t) {
		return s.Add(time.Second)
	}
	return t
}

// newID returns a random job id that names its level: "<32 hex>-p<level>".
func newID(level int) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:]) + "-p" + strconv.Itoa(level)
}

// retryDelay is BackoffBase*2^n with jitter (half to all of it), capped at
// BackoffMax, then rounded up so that the retry runs no earlier.
func (q *Queue) retryDelay(n int, _ error, _ *asynq.Task) time.Duration {
	d := server.Backoff(q.cfg.BackoffBase, q.cfg.BackoffMax, n+1) // n: retries so far
	now := time.Now()
	return ceilSecond(now.Add(d)).Sub(now)
}

// handle runs one task with its registered handler.
func (q *Queue) handle(ctx context.Context, t *asynq.Task) error {
	q.inflight.Add(1)
	q.running.Add(1)
	defer func() {
		q.running.Add(-1)
		q.inflight.Done()
	}()
	q.mu.RLock()
	h := q.handlers[t.Type()]
	q.mu.RUnlock()
	if h == nil {
		return fmt.Errorf("no handler registered for job type %q", t.Type())
	}
	j := jobFromTask(ctx, t)
	// The run's start time is kept as the task's result: Job reports it as
	// ProcessedAt (asynq records no start time of its own).
	now := time.Now().UTC()
	j.ProcessedAt = &now
	if w := t.ResultWriter(); w != nil {
		if _, err := w.Write([]byte(now.Format(time.RFC3339Nano))); err != nil {
			q.cfg.Logger.Warn("cannot record job start", "job", j.ID, "err", err)
		}
	}
	return h(ctx, j)
}

// Close stops taking jobs and waits for running ones until ctx ends. Jobs
// still running then are returned to their queue (their handlers' contexts
// are canceled) and Close answers an error saying so. It closes the
// connections; AddJob fails afterwards. Later calls do nothing and answer
// nil.
func (q *Queue) Close(ctx context.Context) error {
	var err error
	q.closeOnce.Do(func() {
		q.closed.Store(true)
		q.srv.Stop()
		done := make(chan struct{})
		go func() { q.inflight.Wait(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			err = fmt.Errorf("cannot drain job queue: %d jobs still running, returned to the queue: %w", q.running.Load(), ctx.Err())
		}
		q.srv.Shutdown() // requeues what still runs after ShutdownTimeout
		q.cancelRun()
		q.client.Close()
		q.insp.Close()
		if cerr := q.rdb.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("cannot close job queue connections: %w", cerr)
		}
	})
	return err
}

// Ping checks Redis.
func (q *Queue) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, q.timeout)
	defer cancel()
	if err := q.rdb.Ping(ctx).Err(); err != nil {
		return server.WrapError(server.EUNAVAILABLE, "job queue unavailable", fmt.Errorf("cannot ping job queue: %w", err))
	}
	return nil
}
