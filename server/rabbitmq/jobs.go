package rabbitmq

import (
	"slices"
	"sync"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// jobTable is what this instance knows of its jobs (see the package doc).
type jobTable struct {
	mu        sync.Mutex
	m         map[string]*server.Job
	retention time.Duration
	maxKept   int
	writes    int
}

func newJobTable(retention time.Duration, maxKept int) *jobTable {
	return &jobTable{m: make(map[string]*server.Job), retention: retention, maxKept: maxKept}
}

// update applies fn to the job id (creating it from base when unknown).
func (t *jobTable) update(id string, base *server.Job, fn func(j *server.Job)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	j := t.m[id]
	if j == nil {
		c := *base
		j = &c
		t.m[id] = j
	}
	fn(j)
	if t.writes++; t.writes%1024 == 0 || len(t.m) > t.maxKept {
		t.prune(time.Now())
	}
}

func (t *jobTable) remove(id string) {
	t.mu.Lock()
	delete(t.m, id)
	t.mu.Unlock()
}

// get returns a copy of the job id, or nil.
func (t *jobTable) get(id string) *server.Job {
	t.mu.Lock()
	defer t.mu.Unlock()
	j := t.m[id]
	if j == nil || t.expired(j, time.Now()) {
		return nil
	}
	c := *j
	return &c
}

// completed counts the completed jobs kept.
func (t *jobTable) completed() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	var n int64
	for _, j := range t.m {
		if j.State == server.JobCompleted && !t.expired(j, now) {
			n++
		}
	}
	return n
}

func finishedAt(j *server.Job) *time.Time {
	switch j.State {
	case server.JobCompleted:
		return j.CompletedAt
	case server.JobDead:
		return j.FailedAt
	}
	return nil
}

func (t *jobTable) expired(j *server.Job, now time.Time) bool {
	f := finishedAt(j)
	return f != nil && now.Sub(*f) > t.retention
}

// prune drops expired jobs, then, past maxKept, the oldest finished ones
// down to 90% of maxKept (so that a full table is not sorted every write).
func (t *jobTable) prune(now time.Time) {
	type fin struct {
		id string
		at time.Time
	}
	var done []fin
	for id, j := range t.m {
		if t.expired(j, now) {
			delete(t.m, id)
		} else if f := finishedAt(j); f != nil {
			done = append(done, fin{id, *f})
		}
	}
	if len(t.m) <= t.maxKept {
		return
	}
	slices.SortFunc(done, func(a, b fin) int { return a.at.Compare(b.at) })
	for _, d := range done[:min(len(done), len(t.m)-t.maxKept*9/10)] {
		delete(t.m, d.id)
	}
}
