package inmem

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/internal/fanout"
)

// DefaultBusBuffer is how many published events a Bus holds for its
// delivery goroutine before Publish refuses more.
const DefaultBusBuffer = 4096

// Bus is the in-process event bus for one instance. Publish never waits for
// subscribers: it hands the event to a bounded buffer (DefaultBusBuffer) and
// returns; one delivery goroutine calls every subscriber in publish order.
// Subscribers must not block (per server.Bus): a slow fn delays every later
// event for every subscriber of this bus, and once the buffer is full
// Publish fails with EUNAVAILABLE and counts the event in Dropped, rather
// than stall the publisher. A fn that needs to do real work should copy the
// event to its own buffered channel and drop or disconnect when that is full.
type Bus struct {
	events  chan server.Event
	subs    fanout.List
	mu      sync.Mutex // serialises Close
	closed  bool
	stop    chan struct{}
	done    chan struct{}
	dropped atomic.Uint64
}

var (
	_ server.Bus    = (*Bus)(nil)
	_ server.Pinger = (*Bus)(nil)
)

// NewBus starts a Bus's delivery goroutine; Close stops it.
func NewBus() *Bus {
	b := &Bus{
		events: make(chan server.Event, DefaultBusBuffer),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	go b.deliver()
	return b
}

// Publish queues ev for every subscriber without waiting for them. It fails
// with EUNAVAILABLE when the bus is closed or its buffer is full.
func (b *Bus) Publish(_ context.Context, ev server.Event) error {
	select {
	case <-b.stop:
		return server.Errorf(server.EUNAVAILABLE, "event bus is closed")
	default:
	}
	select {
	case b.events <- ev:
		return nil
	default:
		b.dropped.Add(1)
		return server.Errorf(server.EUNAVAILABLE, "event bus buffer is full")
	}
}

// Subscribe calls fn, on the delivery goroutine, for every event published
// from now on. After cancel returns no new call to fn starts (one already
// running may finish). cancel may be called more than once, also from fn.
func (b *Bus) Subscribe(fn func(server.Event)) (cancel func()) { return b.subs.Add(fn) }

// Dropped returns how many events Publish refused because the buffer was
// full.
func (b *Bus) Dropped() uint64 { return b.dropped.Load() }

// Ping answers nil while the bus is open.
func (b *Bus) Ping(context.Context) error {
	select {
	case <-b.stop:
		return server.Errorf(server.EUNAVAILABLE, "event bus is closed")
	default:
		return nil
	}
}

// Close stops delivery (events still buffered are dropped) and waits for
// the delivery goroutine to return. It may be called more than once.
func (b *Bus) Close() error {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.stop)
	}
	b.mu.Unlock()
	<-b.done
	return nil
}

// deliver calls every current subscriber for each event, in order.
func (b *Bus) deliver() {
	defer close(b.done)
	for {
		select {
		case <-b.stop:
			return
		case ev := <-b.events:
			b.subs.Deliver(ev)
		}
	}
}
