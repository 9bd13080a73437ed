package inmem

import (
	"container/heap"
	"fmt"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// work is one worker's loop: take the highest-priority runnable job, run
// it, record the outcome; return once the queue is closed.
func (q *Queue) work() {
	for {
		qj, h, snapshot, ok := q.take()
		if !ok {
			return
		}
		err := q.run(h, snapshot)
		q.finish(qj, err)
	}
}

// take blocks until a job is runnable or the queue closes, then marks the
// job processing and returns it with its handler and a copy for the handler.
func (q *Queue) take() (*queuedJob, server.JobHandler, *server.Job, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.ready) == 0 && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return nil, nil, nil, false
	}
	qj := heap.Pop(&q.ready).(*queuedJob)
	now := time.Now()
	qj.job.State = server.JobProcessing
	qj.job.Attempts++
	qj.job.ProcessedAt = &now
	q.running++
	return qj, q.handlers[qj.job.Type], copyJob(&qj.job), true
}

// run calls h, turning a missing handler or a panic into an error.
func (q *Queue) run(h server.JobHandler, job *server.Job) (err error) {
	if h == nil {
		return fmt.Errorf("cannot run job type %q: %w", job.Type, errNoHandler)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("job handler panicked: %v", r)
		}
	}()
	return h(q.ctx, job)
}

// finish records a run's outcome: completed, retry after backoff, or dead.
func (q *Queue) finish(qj *queuedJob, err error) {
	now := time.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	q.running--
	j := &qj.job
	if err == nil {
		j.State, j.Error, j.CompletedAt = server.JobCompleted, "", &now
		q.remember(&q.completed, j.ID)
		return
	}
	j.Error, j.FailedAt = err.Error(), &now
	if j.Attempts < j.MaxAttempts {
		q.delay(qj, now.Add(q.backoff(j.Attempts)))
		return
	}
	j.State = server.JobDead
	q.remember(&q.dead, j.ID)
}

// remember adds id to a bounded history and forgets the job it pushes out.
// q.mu held.
func (q *Queue) remember(r *idRing, id string) {
	if old, ok := r.push(id); ok {
		delete(q.jobs, old)
	}
}

// schedule moves due delayed jobs to the runnable heap, sleeping until the
// next one is due or a new delayed job arrives.
func (q *Queue) schedule() {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		next := q.promoteDue()
		t.Reset(next)
		select {
		case <-q.stop:
			return
		case <-q.wake:
		case <-t.C:
		}
	}
}

// promoteDue moves every due delayed job to ready and returns how long
// until the next one is due (an hour when none waits).
func (q *Queue) promoteDue() time.Duration {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := time.Now().UnixNano()
	for len(q.delayed) > 0 && q.delayed[0].runAt <= now {
		q.makeReady(heap.Pop(&q.delayed).(*queuedJob))
	}
	if len(q.delayed) == 0 {
		return time.Hour
	}
	return time.Duration(q.delayed[0].runAt - now)
}
