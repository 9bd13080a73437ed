package groupcommit

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/internal/tracing"
)

// run is the collector: it gathers requests into a batch and starts a flush
// when a slot is free and the batch is ready (see ready).
func (b *Batcher) run() {
	defer close(b.stopped)
	var (
		batch    []*request
		timer    = time.NewTimer(time.Hour)
		deadline <-chan time.Time
		expired  bool
		inflight int
		done     = make(chan struct{}, b.cfg.MaxInFlight)
		closing  = b.closing
	)
	timer.Stop()
	for {
		closed := closing == nil
		if len(batch) > 0 && inflight < b.cfg.MaxInFlight && b.ready(len(batch), inflight, expired, closed) {
			batch = b.drain(batch)
			inflight++
			go b.flush(batch, done)
			batch, expired, deadline = nil, false, nil
			timer.Stop()
			continue
		}
		if closed && len(batch) == 0 && inflight == 0 && len(b.queue) == 0 {
			return
		}
		var in chan *request
		if len(batch) < b.cfg.MaxBatch {
			in = b.queue
		}
		select {
		case r := <-in:
			if !r.state.CompareAndSwap(waiting, taken) {
				continue // its caller gave up before we took it
			}
			batch = append(batch, r)
			b.collected.Add(1)
			if len(batch) == 1 {
				timer.Reset(b.cfg.MaxWait)
				deadline = timer.C
			}
		case <-done:
			inflight--
		case <-deadline:
			expired, deadline = true, nil
		case <-closing:
			closing = nil
		}
	}
}

// ready reports whether a batch of n rows should be flushed now, a slot
// being free: it is full, its oldest waited MaxWait, the Batcher is
// closing, or (adaptive) nothing is in flight so waiting would only add
// latency.
func (b *Batcher) ready(n, inflight int, expired, closed bool) bool {
	return n >= b.cfg.MaxBatch || expired || closed || (inflight == 0 && !b.cfg.AlwaysWait)
}

// drain adds requests already queued, without waiting, up to MaxBatch.
func (b *Batcher) drain(batch []*request) []*request {
	for len(batch) < b.cfg.MaxBatch {
		select {
		case r := <-b.queue:
			if r.state.CompareAndSwap(waiting, taken) {
				batch = append(batch, r)
				b.collected.Add(1)
			}
		default:
			return batch
		}
	}
	return batch
}

// flush stores one batch and answers each of its requests.
func (b *Batcher) flush(batch []*request, done chan<- struct{}) {
	defer func() { done <- struct{}{} }()
	logs := make([]*server.CallLog, len(batch))
	for i, r := range batch {
		logs[i] = r.log
	}
	ctx, cancel := context.WithTimeout(context.Background(), b.cfg.FlushTimeout)
	defer cancel()
	var span trace.Span // nil with tracing off
	if tracing.Enabled() {
		ctx, span = startFlush(ctx, batch)
	}
	res, err := b.insert(ctx, logs)
	if span != nil {
		defer func() { endFlush(span, err) }()
	}
	if err != nil && len(batch) > 1 && server.ErrorCode(err) == server.EINVALID {
		b.m.splits.Inc()
		b.flushEach(ctx, batch)
		return
	}
	for i, r := range batch {
		if err != nil {
			r.done <- outcome{err: err}
		} else {
			r.done <- outcome{res: res[i]}
		}
	}
}

// flushEach stores the rows of a batch the store refused as bad data one by
// one: each request gets its own row's outcome, so one bad row fails alone.
func (b *Batcher) flushEach(ctx context.Context, batch []*request) {
	for _, r := range batch {
		res, err := b.insert(ctx, []*server.CallLog{r.log})
		if err != nil {
			r.done <- outcome{err: err}
		} else {
			r.done <- outcome{res: res[0]}
		}
	}
}
