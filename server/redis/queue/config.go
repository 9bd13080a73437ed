package queue

import (
	"crypto/tls"
	"log/slog"
	"time"
)

// Priority levels (see the package doc).
const (
	MinPriority = 0
	MaxPriority = 10
)

// Defaults applied to zero Config fields.
const (
	DefaultPrefix       = "es:"
	DefaultConcurrency  = 10
	DefaultMaxAttempts  = 3
	DefaultBackoffBase  = time.Second
	DefaultBackoffMax   = 10 * time.Minute
	DefaultRetention    = time.Hour
	DefaultDialTimeout  = time.Second
	DefaultReadTimeout  = 2 * time.Second
	DefaultPollInterval = time.Second
)

// Config locates the Redis and tunes the queue.
type Config struct {
	Addr     string // host:port; default "127.0.0.1:6379"
	Password string
	DB       int
	// Cluster, when set, holds the seed addresses of a Redis Cluster
	// (Addr and DB are then ignored). asynq keeps each queue's keys under
	// one hash tag, asynq:{<queue>}:..., so its scripts stay in one slot.
	Cluster []string
	// TLS, when set, dials Redis over TLS with it (rediss://); nil is plain
	// TCP.
	TLS *tls.Config
	// Prefix starts every queue name (Prefix+"p<level>"), isolating
	// deployments and tests sharing one Redis; default DefaultPrefix.
	Prefix string
	// Concurrency is the number of jobs this instance runs at once
	// (QUEUE_CONCURRENCY); default 10.
	Concurrency int
	// MaxAttempts is the default number of runs of a job before it is
	// dead-lettered (QUEUE_MAX_RETRIES); default 3.
	MaxAttempts int
	// BackoffBase is the delay before the first retry; default 1 s.
	BackoffBase time.Duration
	// BackoffMax caps the delay between retries; default 10 min.
	BackoffMax time.Duration
	// Retention is how long completed jobs are kept (Stats.Completed, Job);
	// default 1 h.
	Retention time.Duration
	// DialTimeout bounds one connection attempt; default 1 s.
	DialTimeout time.Duration
	// ReadTimeout bounds one Redis reply; default 2 s. AddJob, Job and
	// Stats give up after DialTimeout+ReadTimeout.
	ReadTimeout time.Duration
	// PollInterval is how often an idle worker looks for jobs and how often
	// due delayed jobs and retries are moved to their queue; default 1 s.
	PollInterval time.Duration
	// DisableWorkers makes a producer-only instance: AddJob, Job and Stats
	// work, but this instance runs no jobs.
	DisableWorkers bool
	// Logger receives asynq's warnings and errors; nil discards them.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:6379"
	}
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.BackoffBase <= 0 {
		c.BackoffBase = DefaultBackoffBase
	}
	if c.BackoffMax <= 0 {
		c.BackoffMax = DefaultBackoffMax
	}
	c.BackoffMax = max(c.BackoffMax, c.BackoffBase)
	if c.Retention <= 0 {
		c.Retention = DefaultRetention
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
