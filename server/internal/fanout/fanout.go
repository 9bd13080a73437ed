// Package fanout is the subscriber list of the event buses: copy on write,
// so delivering an event takes no lock, and a cancelled subscriber gets no
// new call once its cancel returned.
package fanout

import (
	"sync"
	"sync/atomic"

	"github.com/echosenseix/echosenseix/server"
)

// List holds a bus's subscribers. The zero value is empty and ready.
type List struct {
	mu   sync.Mutex // serialises changes
	subs atomic.Pointer[[]*sub]
}

type sub struct {
	fn     func(server.Event)
	active atomic.Bool
}

// Add appends fn; cancel removes it and may be called more than once, also
// from fn.
func (l *List) Add(fn func(server.Event)) (cancel func()) {
	s := &sub{fn: fn}
	s.active.Store(true)
	l.mu.Lock()
	old := l.load()
	next := make([]*sub, len(old), len(old)+1)
	copy(next, old)
	next = append(next, s)
	l.subs.Store(&next)
	l.mu.Unlock()
	return func() { l.remove(s) }
}

func (l *List) remove(s *sub) {
	if !s.active.Swap(false) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	old := l.load()
	next := make([]*sub, 0, len(old))
	for _, o := range old {
		if o != s {
			next = append(next, o)
		}
	}
	l.subs.Store(&next)
}

func (l *List) load() []*sub {
	if p := l.subs.Load(); p != nil {
		return *p
	}
	return nil
}

// Deliver calls every active subscriber with ev, in the order they were
// added, on the caller's goroutine.
func (l *List) Deliver(ev server.Event) {
	for _, s := range l.load() {
		if s.active.Load() {
			s.fn(ev)
		}
	}
}

// Len is the number of subscribers.
func (l *List) Len() int { return len(l.load()) }
