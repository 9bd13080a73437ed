package server

import (
	"context"
	"encoding/json"
	mrand "math/rand/v2"
	"time"
)

// Job states.
const (
	JobPending    = "pending"    // waiting for a worker
	JobDelayed    = "delayed"    // waiting for its run time (delay or retry backoff)
	JobProcessing = "processing" // a worker holds it
	JobCompleted  = "completed"  // handler returned nil
	JobDead       = "dead"       // failed MaxAttempts times: in the dead-letter set
)

// Job is one unit of background work. Priority: a higher number runs first,
// FIFO within one priority, in every provider. Attempts counts handler runs
// started so far.
type Job struct {
	ID             string          `json:"id"`
	Type           string          `json:"type"`
	OrganizationID string          `json:"organizationId,omitempty"`
	Data           json.RawMessage `json:"data"`
	Priority       int             `json:"priority"`
	State          string          `json:"state"`
	Attempts       int             `json:"attempts"`
	MaxAttempts    int             `json:"maxAttempts"`
	Error          string          `json:"error,omitempty"`
	CreatedAt      time.Time       `json:"createdAt"`
	ProcessedAt    *time.Time      `json:"processedAt,omitempty"`
	CompletedAt    *time.Time      `json:"completedAt,omitempty"`
	FailedAt       *time.Time      `json:"failedAt,omitempty"`
}

// JobOptions tune one AddJob. Zero values: priority 0, no delay, the
// queue's configured max attempts (QUEUE_MAX_RETRIES).
type JobOptions struct {
	Priority       int
	Delay          time.Duration
	MaxAttempts    int
	OrganizationID string
}

// JobHandler runs one job. A non-nil error schedules a retry with
// exponential backoff and jitter until MaxAttempts, then dead-letters it.
// Handlers must be idempotent: delivery is at-least-once.
type JobHandler func(ctx context.Context, job *Job) error

// QueueStats are the guide's queue counters. Completed and Failed count the
// bounded history kept (Failed = jobs in the dead-letter set).
type QueueStats struct {
	Pending    int64 `json:"pending"`
	Processing int64 `json:"processing"`
	Completed  int64 `json:"completed"`
	Failed     int64 `json:"failed"`
	Delayed    int64 `json:"delayed"`
}

// Queue runs named jobs on QUEUE_CONCURRENCY workers. Register may be called
// at any time; a job whose type has no handler when a worker takes it fails
// (and is retried). Job answers ENOTFOUND for an unknown id. Close stops
// taking jobs and waits for in-flight ones until ctx ends; jobs still running
// then are returned to the queue (Redis) or abandoned (memory).
// When the backend is unreachable, AddJob fails fast with EUNAVAILABLE.
type Queue interface {
	Register(jobType string, h JobHandler)
	AddJob(ctx context.Context, jobType string, data []byte, opt JobOptions) (*Job, error)
	Job(ctx context.Context, id string) (*Job, error)
	Stats(ctx context.Context) (QueueStats, error)
	Close(ctx context.Context) error
}

// CheckJob validates an AddJob of a shared queue: a job type, no negative
// delay or attempts, data empty or JSON. It answers an EINVALID Error.
func CheckJob(jobType string, data []byte, opt JobOptions) error {
	switch {
	case jobType == "":
		return Errorf(EINVALID, "job type is required")
	case opt.Delay < 0:
		return Errorf(EINVALID, "job delay must not be negative")
	case opt.MaxAttempts < 0:
		return Errorf(EINVALID, "job maxAttempts must not be negative")
	case len(data) > 0 && !json.Valid(data):
		return Errorf(EINVALID, "job data must be JSON")
	}
	return nil
}

// Backoff is the wait before the retry that follows run n (n >= 1) of a
// job: base·2^(n-1), capped at maxWait, with jitter (between half and all
// of it), so that failing jobs do not retry in step.
func Backoff(base, maxWait time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < maxWait; i++ {
		d *= 2
	}
	d = min(d, maxWait)
	return d/2 + mrand.N(d-d/2+1)
}
