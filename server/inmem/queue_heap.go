package inmem

import (
	"container/heap"

	"github.com/echosenseix/echosenseix/server"
)

// queuedJob is a job held by the Queue with its scheduling keys.
type queuedJob struct {
	job   server.Job
	seq   uint64 // admission order: FIFO within a priority
	runAt int64  // unix nanoseconds; for delayed jobs
	index int    // position in its heap, -1 when in none
}

// jobOrder is a heap's order: whether a comes out before b.
type jobOrder interface{ before(a, b *queuedJob) bool }

// byPriority orders runnable jobs: higher priority first, then lower seq.
type byPriority struct{}

func (byPriority) before(a, b *queuedJob) bool {
	if a.job.Priority != b.job.Priority {
		return a.job.Priority > b.job.Priority
	}
	return a.seq < b.seq
}

// byRunAt orders waiting jobs by run time, then seq.
type byRunAt struct{}

func (byRunAt) before(a, b *queuedJob) bool {
	if a.runAt != b.runAt {
		return a.runAt < b.runAt
	}
	return a.seq < b.seq
}

// jobHeap is a container/heap of jobs in order O that keeps each job's
// index current.
type jobHeap[O jobOrder] []*queuedJob

// readyHeap holds runnable jobs; delayedHeap holds jobs waiting for runAt.
type (
	readyHeap   = jobHeap[byPriority]
	delayedHeap = jobHeap[byRunAt]
)

func (h jobHeap[O]) Len() int { return len(h) }
func (h jobHeap[O]) Less(i, j int) bool {
	var o O
	return o.before(h[i], h[j])
}
func (h jobHeap[O]) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *jobHeap[O]) Push(x any) {
	qj := x.(*queuedJob)
	qj.index = len(*h)
	*h = append(*h, qj)
}
func (h *jobHeap[O]) Pop() any {
	old := *h
	n := len(old) - 1
	qj := old[n]
	old[n] = nil
	qj.index = -1
	*h = old[:n]
	return qj
}

var (
	_ heap.Interface = (*readyHeap)(nil)
	_ heap.Interface = (*delayedHeap)(nil)
)

// idRing is a bounded FIFO of job ids (the completed and dead-letter
// history). push returns the id it dropped to make room, if any.
type idRing struct {
	ids   []string
	start int
	n     int
}

func newIDRing(limit int) idRing { return idRing{ids: make([]string, limit)} }

func (r *idRing) push(id string) (dropped string, ok bool) {
	if r.n == len(r.ids) {
		dropped = r.ids[r.start]
		r.ids[r.start] = id
		r.start = (r.start + 1) % len(r.ids)
		return dropped, true
	}
	r.ids[(r.start+r.n)%len(r.ids)] = id
	r.n++
	return "", false
}

// newest returns up to limit ids, newest first (limit <= 0: all).
func (r *idRing) newest(limit int) []string {
	if limit <= 0 || limit > r.n {
		limit = r.n
	}
	out := make([]string, 0, limit)
	for i := r.n - 1; i >= r.n-limit; i-- {
		out = append(out, r.ids[(r.start+i)%len(r.ids)])
	}
	return out
}
