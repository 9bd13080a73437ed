package realtime

import (
	"sync"
	"time"
)

// frame is one encoded broadcast and the time its latency is measured from.
type frame struct {
	b []byte
	t time.Time
}

// org is one organization's fan-out path on this process: its connections,
// a ring of the last SendQueue broadcast frames, and one goroutine that
// schedules the connections that are behind onto the writer pool.
type org struct {
	id     string
	hub    *Hub
	notify chan struct{} // cap 1: frames were pushed
	quit   chan struct{} // closed when the organization empties

	mu    sync.Mutex
	conns []*conn
	ring  []frame // allocated on the first event
	head  uint64  // sequence number of the next frame pushed
}

func newOrg(h *Hub, id string) *org {
	return &org{id: id, hub: h, notify: make(chan struct{}, 1), quit: make(chan struct{})}
}

// add appends c; c starts at the current head (it sees later frames only).
func (o *org) add(c *conn) {
	o.mu.Lock()
	c.org, c.idx, c.cursor = o, len(o.conns), o.head
	o.conns = append(o.conns, c)
	o.mu.Unlock()
}

// remove drops c from the organization and returns how many remain.
func (o *org) remove(c *conn) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	if c.idx < 0 {
		return len(o.conns)
	}
	last := len(o.conns) - 1
	o.conns[c.idx] = o.conns[last]
	o.conns[c.idx].idx = c.idx
	o.conns[last] = nil
	o.conns = o.conns[:last]
	c.idx = -1
	if cap(o.conns) > 64 && len(o.conns) < cap(o.conns)/4 {
		o.conns = append([]*conn(nil), o.conns...)
	}
	return len(o.conns)
}

// push appends f to the ring and wakes the fan-out goroutine.
func (o *org) push(f frame) {
	o.mu.Lock()
	if o.ring == nil {
		o.ring = make([]frame, o.hub.cfg.SendQueue)
	}
	o.ring[o.head%uint64(len(o.ring))] = f
	o.head++
	o.mu.Unlock()
	select {
	case o.notify <- struct{}{}:
	default:
	}
}

// run is the organization's fan-out goroutine.
func (o *org) run() {
	defer o.hub.wg.Done()
	var behind, slow []*conn
	for {
		select {
		case <-o.notify:
			behind, slow = o.fanout(behind[:0], slow[:0])
		case <-o.quit:
			return
		case <-o.hub.done:
			return
		}
	}
}

// fanout schedules every connection that is behind the head and drops the
// ones that fell more than a ring behind. It returns its scratch slices.
func (o *org) fanout(behind, slow []*conn) ([]*conn, []*conn) {
	o.mu.Lock()
	n := uint64(len(o.ring))
	for _, c := range o.conns {
		switch lag := o.head - c.cursor; {
		case lag > n:
			slow = append(slow, c)
		case lag > 0:
			behind = append(behind, c)
		}
	}
	o.mu.Unlock()
	for _, c := range slow {
		go c.drop(statusTryAgainLater, "too slow", ReasonSlow, false)
	}
	for _, c := range behind {
		o.hub.schedule(c)
	}
	clear(behind)
	clear(slow)
	return behind, slow
}

// next returns up to len(dst) frames c has not written yet and advances its
// cursor past them. ok is false when c fell more than a ring behind. When
// nothing is left it clears c.scheduled under the lock, so a concurrent push
// either is seen here or finds c unscheduled and schedules it again.
func (o *org) next(c *conn, dst []frame) (frames []frame, ok bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := uint64(len(o.ring))
	lag := o.head - c.cursor
	if lag > n {
		return dst[:0], false
	}
	k := 0
	for ; k < len(dst) && c.cursor < o.head; k++ {
		dst[k] = o.ring[c.cursor%n]
		c.cursor++
	}
	if k == 0 {
		c.scheduled.Store(false)
	}
	return dst[:k], true
}
