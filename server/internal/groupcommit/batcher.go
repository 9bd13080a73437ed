// Package groupcommit coalesces concurrent call-log ingests into batches:
// many webhook requests, one InsertCallLogs round trip. A request is
// answered only after the batch carrying its row committed; a failed flush
// fails exactly the requests it carried, with EUNAVAILABLE. A flush the
// store refuses as bad data (EINVALID: a row Validate did not catch) is
// retried row by row, so the bad row answers EINVALID alone and the others
// of the batch, other tenants' included, commit.
//
// One collector goroutine gathers requests while up to MaxInFlight flushes
// run. When no flush is in flight a request is flushed at once (with
// whatever else is already queued), so an idle server adds no latency; under
// load the next batch grows while the current one commits, until MaxBatch
// rows wait or the oldest waited MaxWait (which matters only when a second
// flush slot is free). Queued requests are bounded by MaxPending; beyond it
// Ingest sheds at once with EUNAVAILABLE.
package groupcommit

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/internal/tracing"
)

// Inserter stores a batch of call logs; results[i] answers logs[i]
// (server.CallLogStore's InsertCallLogs).
type Inserter interface {
	InsertCallLogs(ctx context.Context, logs []*server.CallLog) ([]server.IngestResult, error)
}

// Defaults for Config's zero fields (chosen by BenchmarkIngest; see the
// package's benchmark notes).
const (
	DefaultMaxBatch     = 256
	DefaultMaxWait      = 2 * time.Millisecond
	DefaultMaxPending   = 10_000
	DefaultMaxInFlight  = 2
	DefaultFlushTimeout = 10 * time.Second
)

// Config tunes a Batcher. Zero fields take the defaults above.
type Config struct {
	MaxBatch     int           // flush when this many rows wait; default 256
	MaxWait      time.Duration // flush when the oldest waited this long (a flush slot being free); default 2ms
	MaxPending   int           // bound on queued requests; beyond it Ingest sheds with EUNAVAILABLE; default 10,000
	MaxInFlight  int           // concurrent flushes (each holds one connection); default 2
	FlushTimeout time.Duration // deadline of one InsertCallLogs call; default 10s
	AlwaysWait   bool          // do not flush a lone request at once when idle (to measure the adaptive rule)
	Disabled     bool          // one InsertCallLogs per request, no batching (to measure the benefit)
}

func (c Config) withDefaults() Config {
	if c.MaxBatch <= 0 {
		c.MaxBatch = DefaultMaxBatch
	}
	if c.MaxWait <= 0 {
		c.MaxWait = DefaultMaxWait
	}
	if c.MaxPending <= 0 {
		c.MaxPending = DefaultMaxPending
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.FlushTimeout <= 0 {
		c.FlushTimeout = DefaultFlushTimeout
	}
	return c
}

// Batcher is the group-commit writer. It is safe for concurrent use.
type Batcher struct {
	ins Inserter
	cfg Config
	m   *metrics

	mu      sync.RWMutex // guards closed against sends on queue
	closed  bool
	queue   chan *request
	closing chan struct{} // closed by Close
	stopped chan struct{} // closed when the collector has flushed everything
	direct  sync.WaitGroup
	slots   chan struct{} // Disabled mode: bounds concurrent direct inserts

	collected atomic.Int64 // requests taken into a batch so far (tests wait on it)
}

// request states.
const (
	waiting int32 = iota
	taken
	abandoned
)

type request struct {
	log   *server.CallLog
	state atomic.Int32
	done  chan outcome      // buffered: the flusher never blocks
	sc    trace.SpanContext // the caller's span (tracing on only)
}

type outcome struct {
	res server.IngestResult
	err error
}

// New starts a Batcher writing through ins.
func New(ins Inserter, cfg Config) *Batcher {
	cfg = cfg.withDefaults()
	b := &Batcher{
		ins: ins, cfg: cfg, m: newMetrics(),
		queue:   make(chan *request, cfg.MaxPending),
		closing: make(chan struct{}),
		stopped: make(chan struct{}),
		slots:   make(chan struct{}, cfg.MaxPending),
	}
	b.m.pending = func() float64 { return float64(len(b.queue)) }
	go b.run()
	return b
}

var (
	errShed   = server.Errorf(server.EUNAVAILABLE, "too many call logs waiting to be stored; retry later")
	errClosed = server.Errorf(server.EUNAVAILABLE, "shutting down; retry later")
)

// Ingest stores l (validated first: a bad log answers EINVALID alone) and
// answers once the batch carrying it committed: its id, or the existing id
// of the same conversation with Created false. A failed flush answers
// EUNAVAILABLE wrapping the cause; so does a full queue (shed) or a closed
// Batcher. If ctx ends first Ingest answers EUNAVAILABLE wrapping ctx's
// error; the row may or may not be stored (a retry is idempotent).
func (b *Batcher) Ingest(ctx context.Context, l *server.CallLog) (server.IngestResult, error) {
	if err := l.ValidateOnce(); err != nil {
		return server.IngestResult{}, err
	}
	if b.cfg.Disabled {
		return b.ingestDirect(ctx, l)
	}
	r := &request{log: l, done: make(chan outcome, 1)}
	if tracing.Enabled() {
		r.sc = tracing.SpanContext(ctx)
	}
	if err := b.enqueue(r); err != nil {
		b.m.shed.Inc()
		return server.IngestResult{}, err
	}
	select {
	case o := <-r.done:
		return o.res, o.err
	case <-ctx.Done():
		r.state.CompareAndSwap(waiting, abandoned)
		return server.IngestResult{}, server.WrapError(server.EUNAVAILABLE, "call log not confirmed in time", ctx.Err())
	}
}

func (b *Batcher) enqueue(r *request) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return errClosed
	}
	select {
	case b.queue <- r:
		return nil
	default:
		return errShed
	}
}

// ingestDirect is the Disabled mode: one InsertCallLogs per request.
func (b *Batcher) ingestDirect(ctx context.Context, l *server.CallLog) (server.IngestResult, error) {
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return server.IngestResult{}, errClosed
	}
	select {
	case b.slots <- struct{}{}:
	default:
		b.mu.RUnlock()
		b.m.shed.Inc()
		return server.IngestResult{}, errShed
	}
	b.direct.Add(1)
	b.mu.RUnlock()
	defer func() { <-b.slots; b.direct.Done() }()
	ctx, cancel := context.WithTimeout(ctx, b.cfg.FlushTimeout)
	defer cancel()
	res, err := b.insert(ctx, []*server.CallLog{l})
	if err != nil {
		return server.IngestResult{}, err
	}
	return res[0], nil
}

// insert calls the Inserter, records metrics and wraps a failure: an
// EINVALID answer (the store refused the data, e.g. a Postgres data
// exception) is returned as it is, anything else becomes EUNAVAILABLE.
func (b *Batcher) insert(ctx context.Context, logs []*server.CallLog) ([]server.IngestResult, error) {
	start := time.Now()
	res, err := b.ins.InsertCallLogs(ctx, logs)
	b.m.flushDuration.Observe(time.Since(start).Seconds())
	b.m.batchSize.Observe(float64(len(logs)))
	if err == nil && len(res) != len(logs) {
		err = fmt.Errorf("BUG: inserter answered %d results for %d logs", len(res), len(logs))
	}
	if err != nil {
		b.m.flushErrors.Inc()
		if server.ErrorCode(err) == server.EINVALID {
			return nil, err
		}
		return nil, server.WrapError(server.EUNAVAILABLE, "cannot store call logs; retry later", err)
	}
	return res, nil
}

// Close stops accepting ingests, flushes everything queued and waits for
// the flushes in flight (or for ctx).
func (b *Batcher) Close(ctx context.Context) error {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.closing)
	}
	b.mu.Unlock()
	done := make(chan struct{})
	go func() {
		<-b.stopped
		b.direct.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("cannot drain call-log batcher: %w", ctx.Err())
	}
}
