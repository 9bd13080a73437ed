package rabbitmq

import (
	"context"
	"fmt"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/echosenseix/echosenseix/server"
)

// work runs deliveries one at a time until the channel closes or Close.
func (q *Queue) work(deliveries <-chan amqp.Delivery) {
	for {
		select {
		case <-q.stop:
			return
		case d, ok := <-deliveries:
			if !ok {
				return
			}
			if !q.begin() {
				return // closing: left unacknowledged, the broker requeues it
			}
			q.run(d)
			q.end()
		}
	}
}

// begin counts a run unless the queue is closing.
func (q *Queue) begin() bool {
	q.rmu.Lock()
	defer q.rmu.Unlock()
	if q.closed {
		return false
	}
	q.running++
	return true
}

func (q *Queue) end() {
	q.rmu.Lock()
	defer q.rmu.Unlock()
	if q.running--; q.running == 0 && q.closed {
		close(q.drained)
	}
}

// jobOf reads the Job of a delivery; Attempts counts this run.
func jobOf(d amqp.Delivery) (*server.Job, error) {
	if d.MessageId == "" || d.Type == "" {
		return nil, fmt.Errorf("message without id or type")
	}
	j := &server.Job{
		ID: d.MessageId, Type: d.Type, Data: d.Body, State: server.JobProcessing,
		Attempts: int(intHeader(d.Headers, headerAttempts)) + 1, MaxAttempts: int(intHeader(d.Headers, headerMaxAttempts)),
		Priority: int(intHeader(d.Headers, headerPriority)),
	}
	j.OrganizationID, _ = d.Headers[headerOrg].(string)
	if s, ok := d.Headers[headerCreated].(string); ok {
		j.CreatedAt, _ = time.Parse(time.RFC3339Nano, s)
	}
	if j.MaxAttempts <= 0 {
		j.MaxAttempts = 1
	}
	return j, nil
}

func intHeader(h amqp.Table, k string) int64 {
	switch v := h[k].(type) {
	case int64:
		return v
	case int32:
		return int64(v)
	case int16:
		return int64(v)
	case int8:
		return int64(v)
	case int:
		return int64(v)
	}
	return 0
}

// run runs one delivery and settles it: ack on success; on failure the
// retry (or dead letter) is published and confirmed first, then the
// original acked.
func (q *Queue) run(d amqp.Delivery) {
	j, err := jobOf(d)
	if err != nil {
		q.cfg.Logger.Warn("rejecting unreadable job message", "err", err)
		_ = d.Reject(false) // dead-lettered by the broker
		return
	}
	start := time.Now().UTC()
	q.jobs.update(j.ID, j, func(r *server.Job) {
		r.State, r.Attempts, r.ProcessedAt, r.CompletedAt = server.JobProcessing, j.Attempts, &start, nil
	})
	j.ProcessedAt = &start
	runErr := q.call(j)
	now := time.Now().UTC()
	if runErr == nil {
		if err := d.Ack(false); err != nil {
			q.cfg.Logger.Warn("cannot ack job; the broker will deliver it again", "job", j.ID, "err", err)
		}
		q.jobs.update(j.ID, j, func(r *server.Job) { r.State, r.CompletedAt, r.Error = server.JobCompleted, &now, "" })
		return
	}
	msg := runErr.Error()
	ctx, cancel := context.WithTimeout(context.Background(), q.cfg.PublishTimeout)
	defer cancel()
	if j.Attempts < j.MaxAttempts {
		if err := q.publishJob(ctx, j, server.Backoff(q.cfg.BackoffBase, q.cfg.BackoffMax, j.Attempts), msg); err != nil {
			q.cfg.Logger.Warn("cannot schedule job retry; returning it to the queue", "job", j.ID, "err", err)
			_ = d.Nack(false, true)
			return
		}
		_ = d.Ack(false)
		q.jobs.update(j.ID, j, func(r *server.Job) { r.State, r.Error, r.FailedAt = server.JobDelayed, msg, &now })
		return
	}
	j.State, j.Error, j.FailedAt = server.JobDead, msg, &now
	if err := q.publishDead(ctx, j, d); err != nil {
		q.cfg.Logger.Warn("cannot publish dead letter; rejecting to the dead-letter exchange", "job", j.ID, "err", err)
		_ = d.Reject(false)
	} else {
		_ = d.Ack(false)
	}
	q.jobs.update(j.ID, j, func(r *server.Job) { r.State, r.Error, r.FailedAt = server.JobDead, msg, &now })
}

// publishDead publishes the dead job, with its error, to the dead-letter
// exchange.
func (q *Queue) publishDead(ctx context.Context, j *server.Job, d amqp.Delivery) error {
	h := amqp.Table{}
	for k, v := range d.Headers {
		h[k] = v
	}
	h[headerAttempts], h[headerError] = int64(j.Attempts), j.Error
	return q.publish(ctx, q.n.dlx, "", amqp.Publishing{
		MessageId: j.ID, Type: j.Type, Body: j.Data, Headers: h, DeliveryMode: amqp.Persistent,
		ContentType: d.ContentType, Timestamp: time.Now(),
	})
}

// call runs the job's handler; a panic is an error.
func (q *Queue) call(j *server.Job) (err error) {
	q.hmu.RLock()
	h := q.handlers[j.Type]
	q.hmu.RUnlock()
	if h == nil {
		return fmt.Errorf("no handler registered for job type %q", j.Type)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("job handler panicked: %v", r)
		}
	}()
	c := *j
	return h(q.runCtx, &c)
}
