package inmem

import (
	"container/heap"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// Queue defaults (QUEUE_CONCURRENCY, QUEUE_MAX_RETRIES and the backoff).
const (
	DefaultQueueConcurrency  = 10
	DefaultQueueMaxAttempts  = 3
	DefaultQueueBackoffBase  = time.Second
	DefaultQueueBackoffMax   = time.Minute
	DefaultQueueHistoryLimit = 1000
)

// QueueConfig configures a memory Queue. Zero fields take their defaults.
type QueueConfig struct {
	// Concurrency is the number of worker goroutines (QUEUE_CONCURRENCY).
	// Default 10.
	Concurrency int
	// MaxAttempts is how many times a job runs before it is dead-lettered,
	// unless JobOptions.MaxAttempts says otherwise (QUEUE_MAX_RETRIES).
	// Default 3.
	MaxAttempts int
	// BackoffBase is the delay before the first retry; retry n waits
	// BackoffBase*2^(n-1), capped at BackoffMax, with equal jitter (a random
	// point in the upper half of that delay). Default 1s.
	BackoffBase time.Duration
	// BackoffMax caps one retry delay. Default 1m.
	BackoffMax time.Duration
	// HistoryLimit bounds the completed history and, separately, the
	// dead-letter set; the oldest entries are forgotten (Job then answers
	// ENOTFOUND). Default 1000.
	HistoryLimit int
}

func (cfg QueueConfig) withDefaults() QueueConfig {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultQueueConcurrency
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultQueueMaxAttempts
	}
	if cfg.BackoffBase <= 0 {
		cfg.BackoffBase = DefaultQueueBackoffBase
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = DefaultQueueBackoffMax
	}
	cfg.BackoffMax = max(cfg.BackoffMax, cfg.BackoffBase)
	if cfg.HistoryLimit <= 0 {
		cfg.HistoryLimit = DefaultQueueHistoryLimit
	}
	return cfg
}

// Queue is the memory job queue for one instance: a priority heap of
// runnable jobs (higher priority first, FIFO within one), a heap of delayed
// jobs (delays and retry backoff) moved over by a scheduler goroutine, and
// Concurrency workers. A panicking handler counts as a failed attempt; it
// never kills a worker. Pending jobs are not bounded and do not survive the
// process.
type Queue struct {
	cfg       QueueConfig
	mu        sync.Mutex
	cond      sync.Cond // ready has jobs, or the queue closed
	handlers  map[string]server.JobHandler
	jobs      map[string]*queuedJob
	ready     readyHeap
	delayed   delayedHeap
	completed idRing
	dead      idRing
	seq       uint64
	running   int
	closed    bool

	wake    chan struct{} // a delayed job was added
	stop    chan struct{} // closed by Close
	done    chan struct{} // closed when every goroutine has exited
	ctx     context.Context
	abandon context.CancelFunc // cancels running handlers' ctx
}

var (
	_ server.Queue  = (*Queue)(nil)
	_ server.Pinger = (*Queue)(nil)
)

// NewQueue starts a Queue's workers and scheduler; Close stops them.
func NewQueue(cfg QueueConfig) *Queue {
	cfg = cfg.withDefaults()
	q := &Queue{
		cfg:       cfg,
		handlers:  make(map[string]server.JobHandler),
		jobs:      make(map[string]*queuedJob),
		completed: newIDRing(cfg.HistoryLimit),
		dead:      newIDRing(cfg.HistoryLimit),
		wake:      make(chan struct{}, 1),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	q.cond.L = &q.mu
	q.ctx, q.abandon = context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(cfg.Concurrency + 1)
	for range cfg.Concurrency {
		go func() { defer wg.Done(); q.work() }()
	}
	go func() { defer wg.Done(); q.schedule() }()
	go func() { wg.Wait(); close(q.done) }()
	return q
}

// Register sets the handler for jobType, replacing any previous one.
func (q *Queue) Register(jobType string, h server.JobHandler) {
	q.mu.Lock()
	q.handlers[jobType] = h
	q.mu.Unlock()
}

// AddJob queues a copy of data as a new job and returns a copy of it.
func (q *Queue) AddJob(_ context.Context, jobType string, data []byte, opt server.JobOptions) (*server.Job, error) {
	if jobType == "" {
		return nil, server.Errorf(server.EINVALID, "job type is required")
	}
	id, err := newJobID()
	if err != nil {
		return nil, err
	}
	qj := &queuedJob{index: -1, job: server.Job{
		ID: id, Type: jobType, OrganizationID: opt.OrganizationID,
		Data: append([]byte(nil), data...), Priority: opt.Priority,
		State: server.JobPending, MaxAttempts: opt.MaxAttempts, CreatedAt: time.Now(),
	}}
	if qj.job.MaxAttempts <= 0 {
		qj.job.MaxAttempts = q.cfg.MaxAttempts
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return nil, server.Errorf(server.EUNAVAILABLE, "job queue is closed")
	}
	q.seq++
	qj.seq = q.seq
	q.jobs[id] = qj
	if opt.Delay > 0 {
		q.delay(qj, qj.job.CreatedAt.Add(opt.Delay))
	} else {
		q.makeReady(qj)
	}
	return copyJob(&qj.job), nil
}

// Job returns a copy of the job with id; ENOTFOUND if it is unknown or was
// dropped from the bounded history.
func (q *Queue) Job(_ context.Context, id string) (*server.Job, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	qj, ok := q.jobs[id]
	if !ok {
		return nil, server.Errorf(server.ENOTFOUND, "job %q not found", id)
	}
	return copyJob(&qj.job), nil
}

// Stats counts jobs by state; Completed and Failed count the bounded
// history (Failed is the dead-letter set).
func (q *Queue) Stats(context.Context) (server.QueueStats, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return server.QueueStats{
		Pending:    int64(len(q.ready)),
		Processing: int64(q.running),
		Completed:  int64(q.completed.n),
		Failed:     int64(q.dead.n),
		Delayed:    int64(len(q.delayed)),
	}, nil
}

// DeadLetters returns copies of up to limit dead jobs, newest first
// (limit <= 0: all kept).
func (q *Queue) DeadLetters(_ context.Context, limit int) ([]*server.Job, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	ids := q.dead.newest(limit)
	out := make([]*server.Job, 0, len(ids))
	for _, id := range ids {
		out = append(out, copyJob(&q.jobs[id].job))
	}
	return out, nil
}

// Ping answers nil while the queue is open.
func (q *Queue) Ping(context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return server.Errorf(server.EUNAVAILABLE, "job queue is closed")
	}
	return nil
}

// Close stops taking jobs (pending ones stay unrun, AddJob fails with
// EUNAVAILABLE) and waits for running handlers until ctx ends. If ctx ends
// first, running handlers' contexts are cancelled, they are abandoned and
// the error returned wraps ctx.Err() (errors.Is works). Close may be called
// more than once.
func (q *Queue) Close(ctx context.Context) error {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.stop)
		q.cond.Broadcast()
	}
	q.mu.Unlock()
	select {
	case <-q.done:
		q.abandon()
		return nil
	case <-ctx.Done():
		q.abandon()
		return fmt.Errorf("cannot drain job queue: %w", ctx.Err())
	}
}

// makeReady puts qj on the runnable heap and wakes one worker. q.mu held.
func (q *Queue) makeReady(qj *queuedJob) {
	qj.job.State = server.JobPending
	heap.Push(&q.ready, qj)
	q.cond.Signal()
}

// delay puts qj on the delayed heap until at and wakes the scheduler. q.mu
// held.
func (q *Queue) delay(qj *queuedJob, at time.Time) {
	qj.job.State = server.JobDelayed
	qj.runAt = at.UnixNano()
	heap.Push(&q.delayed, qj)
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// backoff returns the delay before the retry that follows attempt n (n >= 1):
// base*2^(n-1) capped at BackoffMax, with equal jitter.
func (q *Queue) backoff(n int) time.Duration {
	return server.Backoff(q.cfg.BackoffBase, q.cfg.BackoffMax, n)
}

// newJobID returns a random UUIDv4 string.
func newJobID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("cannot generate job id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:]), nil
}

// copyJob returns a deep copy of j that callers and handlers may keep.
func copyJob(j *server.Job) *server.Job {
	c := *j
	c.Data = append([]byte(nil), j.Data...)
	c.ProcessedAt = copyTime(j.ProcessedAt)
	c.CompletedAt = copyTime(j.CompletedAt)
	c.FailedAt = copyTime(j.FailedAt)
	return &c
}

func copyTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

var errNoHandler = errors.New("no handler registered")
