package rabbitmq

import (
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
	DefaultURL            = "amqp://guest:guest@127.0.0.1:5672/"
	DefaultPrefix         = "es"
	DefaultConcurrency    = 10
	DefaultMaxAttempts    = 3
	DefaultBackoffBase    = time.Second
	DefaultBackoffMax     = 10 * time.Minute
	DefaultRetention      = time.Hour
	DefaultDialTimeout    = 2 * time.Second
	DefaultPublishTimeout = 5 * time.Second
	DefaultMaxKept        = 100_000
)

// Config locates the broker and tunes the queue.
type Config struct {
	// URL is the AMQP URL (RABBITMQ_URL); default DefaultURL.
	URL string
	// Prefix starts every exchange and queue name, isolating deployments
	// and tests sharing one broker; default "es".
	Prefix string
	// Concurrency is the number of jobs this instance runs at once
	// (QUEUE_CONCURRENCY), also its prefetch; default 10.
	Concurrency int
	// MaxAttempts is the default number of runs before a job is
	// dead-lettered (QUEUE_MAX_RETRIES); default 3.
	MaxAttempts int
	// BackoffBase is the delay before the first retry; default 1 s.
	BackoffBase time.Duration
	// BackoffMax caps the delay between retries; default 10 min.
	BackoffMax time.Duration
	// Retention is how long this instance remembers finished jobs for Job
	// and Stats.Completed; default 1 h.
	Retention time.Duration
	// MaxKept bounds the jobs remembered; the oldest finished go first;
	// default 100,000.
	MaxKept int
	// DialTimeout bounds one connection attempt; default 2 s.
	DialTimeout time.Duration
	// PublishTimeout bounds one publish and its confirm (AddJob, retries);
	// default 5 s.
	PublishTimeout time.Duration
	// DisableWorkers makes a producer-only instance.
	DisableWorkers bool
	// Logger receives warnings (lost connections, failed acks); nil
	// discards them.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.URL == "" {
		c.URL = DefaultURL
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
	if c.MaxKept <= 0 {
		c.MaxKept = DefaultMaxKept
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.PublishTimeout <= 0 {
		c.PublishTimeout = DefaultPublishTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
