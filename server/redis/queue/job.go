package queue

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	goredis "github.com/redis/go-redis/v9"

	"github.com/echosenseix/echosenseix/server"
)

// jobFromTask is the Job a handler sees.
func jobFromTask(ctx context.Context, t *asynq.Task) *server.Job {
	id, _ := asynq.GetTaskID(ctx)
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	j := &server.Job{
		ID: id, Type: t.Type(), Data: t.Payload(), State: server.JobProcessing,
		Attempts: retried + 1, MaxAttempts: maxRetry + 1,
	}
	fillHeaders(j, t.Headers())
	return j
}

func fillHeaders(j *server.Job, h map[string]string) {
	j.OrganizationID = h[headerOrg]
	j.Priority, _ = strconv.Atoi(h[headerPriority])
	j.CreatedAt, _ = time.Parse(time.RFC3339Nano, h[headerCreated])
}

// jobFromInfo maps asynq's view of a task to a Job. Attempts counts runs
// started: asynq's Retried counts failed runs that were retried, so a task
// running, completed or dead has one run more.
func jobFromInfo(info *asynq.TaskInfo) *server.Job {
	j := &server.Job{
		ID: info.ID, Type: info.Type, Data: info.Payload,
		Attempts: info.Retried, MaxAttempts: info.MaxRetry + 1, Error: info.LastErr,
	}
	fillHeaders(j, info.Headers)
	if t, err := time.Parse(time.RFC3339Nano, string(info.Result)); err == nil {
		j.ProcessedAt = &t
	}
	switch info.State {
	case asynq.TaskStateActive:
		j.State, j.Attempts = server.JobProcessing, info.Retried+1
	case asynq.TaskStateScheduled, asynq.TaskStateRetry:
		j.State = server.JobDelayed
	case asynq.TaskStateCompleted:
		j.State, j.Attempts = server.JobCompleted, info.Retried+1
		if !info.CompletedAt.IsZero() {
			j.CompletedAt = &info.CompletedAt
		}
	case asynq.TaskStateArchived:
		j.State, j.Attempts = server.JobDead, info.Retried+1
	default: // pending, aggregating
		j.State = server.JobPending
	}
	if !info.LastFailedAt.IsZero() {
		j.FailedAt = &info.LastFailedAt
	}
	return j
}

// Job answers the job id in any state asynq still holds (completed jobs for
// Retention), or ENOTFOUND.
func (q *Queue) Job(ctx context.Context, id string) (*server.Job, error) {
	if id == "" {
		return nil, server.Errorf(server.ENOTFOUND, "job not found")
	}
	queues := q.queues
	if i := strings.LastIndex(id, "-p"); i >= 0 {
		if lv, err := strconv.Atoi(id[i+2:]); err == nil && lv >= MinPriority && lv <= MaxPriority {
			queues = q.queues[lv-MinPriority : lv-MinPriority+1]
		}
	}
	for _, name := range queues {
		info, err := q.call(ctx, func() (any, error) { return q.insp.GetTaskInfo(name, id) })
		if errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound) {
			continue
		}
		if err != nil {
			return nil, server.WrapError(server.EUNAVAILABLE, "job queue unavailable", fmt.Errorf("cannot get job: %w", err))
		}
		return jobFromInfo(info.(*asynq.TaskInfo)), nil
	}
	return nil, server.Errorf(server.ENOTFOUND, "job %s not found", id)
}

// Stats sums the levels: pending, active as processing, completed within
// Retention, archived as failed, scheduled and retry as delayed. It reads
// the sizes of asynq's (v0.26) per-queue keys in one pipelined round trip;
// asynq's Inspector.GetQueueInfo costs several per queue.
func (q *Queue) Stats(ctx context.Context) (server.QueueStats, error) {
	ctx, cancel := context.WithTimeout(ctx, q.timeout)
	defer cancel()
	type sizes struct{ pending, active, scheduled, retry, archived, completed *goredis.IntCmd }
	all := make([]sizes, len(q.queues))
	now := strconv.FormatInt(time.Now().Unix(), 10)
	_, err := q.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, name := range q.queues {
			k := "asynq:{" + name + "}:"
			all[i] = sizes{p.LLen(ctx, k+"pending"), p.LLen(ctx, k+"active"), p.ZCard(ctx, k+"scheduled"),
				p.ZCard(ctx, k+"retry"), p.ZCard(ctx, k+"archived"), p.ZCount(ctx, k+"completed", now, "+inf")}
		}
		return nil
	})
	if err != nil {
		return server.QueueStats{}, server.WrapError(server.EUNAVAILABLE, "job queue unavailable", fmt.Errorf("cannot get queue stats: %w", err))
	}
	var st server.QueueStats
	for _, z := range all {
		st.Pending += z.pending.Val()
		st.Processing += z.active.Val()
		st.Delayed += z.scheduled.Val() + z.retry.Val()
		st.Failed += z.archived.Val()
		st.Completed += z.completed.Val()
	}
	return st, nil
}

// DeadLetters lists up to limit dead jobs, most recently failed first.
func (q *Queue) DeadLetters(ctx context.Context, limit int) ([]*server.Job, error) {
	if limit <= 0 {
		return nil, nil
	}
	var jobs []*server.Job
	for _, name := range q.queues {
		v, err := q.call(ctx, func() (any, error) { return q.insp.ListArchivedTasks(name, asynq.PageSize(limit)) })
		if errors.Is(err, asynq.ErrQueueNotFound) {
			continue
		}
		if err != nil {
			return nil, server.WrapError(server.EUNAVAILABLE, "job queue unavailable", fmt.Errorf("cannot list dead jobs: %w", err))
		}
		for _, info := range v.([]*asynq.TaskInfo) {
			jobs = append(jobs, jobFromInfo(info))
		}
	}
	sort.SliceStable(jobs, func(a, b int) bool { return failedAt(jobs[a]).After(failedAt(jobs[b])) })
	return jobs[:min(limit, len(jobs))], nil
}

func failedAt(j *server.Job) time.Time {
	if j.FailedAt == nil {
		return time.Time{}
	}
	return *j.FailedAt
}

// call runs an Inspector call (which takes no context) bounded by the
// queue's timeout and ctx: past them the caller gets an error and the call
// finishes in the background (its own Redis timeouts bound it).
func (q *Queue) call(ctx context.Context, fn func() (any, error)) (any, error) {
	type result struct {
		v   any
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := fn()
		ch <- result{v, err}
	}()
	t := time.NewTimer(q.timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, errors.New("redis did not answer in time")
	}
}
