// Package bustest is the contract every server.Bus provider passes (memory,
// Redis pub/sub, NATS JetStream). Run checks one bus; RunShared checks two buses that share
// a backend (two instances), e.g. two Redis clients on one channel.
//
// Subscriptions may take a moment to become active (Redis SUBSCRIBE is
// asynchronous), so after subscribing the suite publishes probe events until
// every subscriber has seen one, and only then starts asserting. Subscribers
// in the suite ignore events of other organizations, so a shared backend
// carrying other traffic does not disturb it. Waits have 5 s deadlines.
package bustest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

const (
	waitLimit = 5 * time.Second
	probeType = "bustest_probe"
)

// Run runs the single-bus contract against buses made by newBus (one per
// subtest; register closing with tb.Cleanup).
func Run(t *testing.T, newBus func(t testing.TB) server.Bus) {
	t.Run("Delivery", func(t *testing.T) { b := newBus(t); testDelivery(t, b, b) })
	t.Run("Cancel", func(t *testing.T) { b := newBus(t); testCancel(t, b, b) })
	t.Run("Order", func(t *testing.T) { testOrder(t, newBus(t)) })
	t.Run("ConcurrentPublishers", func(t *testing.T) { testConcurrent(t, newBus(t)) })
	t.Run("PublisherNotBlocked", func(t *testing.T) { testNotBlocked(t, newBus(t)) })
}

// RunShared runs the cross-instance contract: newPair returns two buses on
// one backend; an event published on either reaches subscribers on both.
func RunShared(t *testing.T, newPair func(t testing.TB) (a, b server.Bus)) {
	t.Run("AtoB", func(t *testing.T) { a, b := newPair(t); testDelivery(t, a, b) })
	t.Run("BtoA", func(t *testing.T) { a, b := newPair(t); testDelivery(t, b, a) })
	t.Run("Cancel", func(t *testing.T) { a, b := newPair(t); testCancel(t, a, b) })
}

// recorder collects the events of one organization.
type recorder struct {
	org    string
	mu     sync.Mutex
	events []server.Event
	probed bool
	notify chan struct{}
}

func newRecorder(org string) *recorder { return &recorder{org: org, notify: make(chan struct{}, 1)} }

func (r *recorder) fn(ev server.Event) {
	if ev.OrganizationID != r.org {
		return
	}
	r.mu.Lock()
	if ev.Type == probeType {
		r.probed = true
	} else {
		r.events = append(r.events, ev)
	}
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

func (r *recorder) snapshot() ([]server.Event, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]server.Event(nil), r.events...), r.probed
}

// waitEvents waits until r holds n events (other than probes) and returns
// them.
func (r *recorder) waitEvents(tb testing.TB, n int) []server.Event {
	tb.Helper()
	deadline := time.After(waitLimit)
	for {
		evs, _ := r.snapshot()
		if len(evs) >= n {
			return evs
		}
		select {
		case <-r.notify:
		case <-deadline:
			tb.Fatalf("got %d events within %v; want %d", len(evs), waitLimit, n)
		}
	}
}

// org returns a random organization id for one test.
func org(tb testing.TB) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	return "bustest-" + hex.EncodeToString(b[:])
}

// subscribe subscribes a new recorder for org on bus; cancelled at cleanup.
func subscribe(tb testing.TB, bus server.Bus, org string) (*recorder, func()) {
	r := newRecorder(org)
	cancel := bus.Subscribe(r.fn)
	tb.Cleanup(cancel)
	return r, cancel
}

// waitReady publishes probes on pub until every recorder has seen one.
func waitReady(tb testing.TB, pub server.Bus, org string, rs ...*recorder) {
	tb.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		all := true
		for _, r := range rs {
			if _, probed := r.snapshot(); !probed {
				all = false
			}
		}
		if all {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("subscribers not receiving probes within %v", waitLimit)
		}
		MustPublish(tb, pub, server.Event{Type: probeType, OrganizationID: org, Data: json.RawMessage(`{}`), Timestamp: time.Now()})
		time.Sleep(20 * time.Millisecond)
	}
}

// MustPublish publishes ev or fails the test.
func MustPublish(tb testing.TB, bus server.Bus, ev server.Event) {
	tb.Helper()
	if err := bus.Publish(context.Background(), ev); err != nil {
		tb.Fatalf("Publish(%s): %v", ev.Type, err)
	}
}

// sameEvent reports whether got equals want: Data as JSON, Timestamp to the
// millisecond.
func sameEvent(got, want server.Event) error {
	var g, w any
	if err := json.Unmarshal(got.Data, &g); err != nil {
		return fmt.Errorf("data %s is not JSON: %w", got.Data, err)
	}
	_ = json.Unmarshal(want.Data, &w)
	gj, _ := json.Marshal(g)
	wj, _ := json.Marshal(w)
	d := got.Timestamp.Sub(want.Timestamp)
	if got.Type != want.Type || got.OrganizationID != want.OrganizationID || !bytes.Equal(gj, wj) || d <= -time.Millisecond || d >= time.Millisecond {
		return fmt.Errorf("got {%s %s %s %v}; want {%s %s %s %v}", got.Type, got.OrganizationID, got.Data, got.Timestamp,
			want.Type, want.OrganizationID, want.Data, want.Timestamp)
	}
	return nil
}

// testDelivery: an event published on pub reaches two subscribers on sub
// and one on pub, intact.
func testDelivery(t *testing.T, pub, sub server.Bus) {
	o := org(t)
	r1, _ := subscribe(t, sub, o)
	r2, _ := subscribe(t, sub, o)
	r3, _ := subscribe(t, pub, o)
	waitReady(t, pub, o, r1, r2, r3)
	ev := server.Event{
		Type:           server.EventCallCompleted,
		OrganizationID: o,
		Data:           json.RawMessage(`{"callId":"c-1","duration":42,"cost":0.1234,"nested":{"a":[1,2]}}`),
		Timestamp:      time.Now(),
	}
	MustPublish(t, pub, ev)
	for i, r := range []*recorder{r1, r2, r3} {
		evs := r.waitEvents(t, 1)
		if len(evs) != 1 {
			t.Fatalf("subscriber %d: got %d events; want 1", i, len(evs))
		}
		if err := sameEvent(evs[0], ev); err != nil {
			t.Errorf("subscriber %d: %v", i, err)
		}
	}
}

// testCancel: after cancel, a subscriber gets nothing more while another
// keeps receiving.
func testCancel(t *testing.T, pub, sub server.Bus) {
	o := org(t)
	gone, cancel := subscribe(t, sub, o)
	kept, _ := subscribe(t, sub, o)
	waitReady(t, pub, o, gone, kept)
	cancel()
	cancel() // twice is harmless
	for i := range 3 {
		MustPublish(t, pub, server.Event{Type: server.EventSyncProgress, OrganizationID: o,
			Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)), Timestamp: time.Now()})
	}
	kept.waitEvents(t, 3)
	if evs, _ := gone.snapshot(); len(evs) != 0 {
		t.Fatalf("cancelled subscriber: got %d events; want 0", len(evs))
	}
}

// testOrder: events published one after another by one goroutine arrive in
// that order.
func testOrder(t *testing.T, bus server.Bus) {
	o := org(t)
	r, _ := subscribe(t, bus, o)
	waitReady(t, bus, o, r)
	const n = 100
	for i := range n {
		MustPublish(t, bus, server.Event{Type: server.EventSyncProgress, OrganizationID: o,
			Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)), Timestamp: time.Now()})
	}
	evs := r.waitEvents(t, n)
	for i, ev := range evs {
		var d struct{ N int }
		if err := json.Unmarshal(ev.Data, &d); err != nil || d.N != i {
			t.Fatalf("event %d: got data %s; want n=%d", i, ev.Data, i)
		}
	}
}

// testConcurrent: 4 publishers x 50 events each reach a subscriber exactly
// once each.
func testConcurrent(t *testing.T, bus server.Bus) {
	o := org(t)
	r, _ := subscribe(t, bus, o)
	waitReady(t, bus, o, r)
	const pubs, each = 4, 50
	var wg sync.WaitGroup
	for p := range pubs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				ev := server.Event{Type: server.EventSyncProgress, OrganizationID: o,
					Data: json.RawMessage(fmt.Sprintf(`{"id":"%d-%d"}`, p, i)), Timestamp: time.Now()}
				if err := bus.Publish(context.Background(), ev); err != nil {
					t.Errorf("Publish: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	evs := r.waitEvents(t, pubs*each)
	seen := map[string]bool{}
	for _, ev := range evs {
		var d struct{ ID string }
		_ = json.Unmarshal(ev.Data, &d)
		if seen[d.ID] {
			t.Fatalf("event %s delivered twice", d.ID)
		}
		seen[d.ID] = true
	}
	if len(seen) != pubs*each {
		t.Fatalf("got %d distinct events; want %d", len(seen), pubs*each)
	}
}

// testNotBlocked: while a subscriber is stuck, Publish still returns
// promptly (it may fail once a buffer is full, but must not wait). The
// publishes share a 3 s ctx so a provider that does block fails the test
// instead of hanging it.
func testNotBlocked(t *testing.T, bus server.Bus) {
	o := org(t)
	stuck := make(chan struct{})
	defer close(stuck)
	entered := make(chan struct{}, 1)
	cancel := bus.Subscribe(func(ev server.Event) {
		if ev.OrganizationID != o {
			return
		}
		select {
		case entered <- struct{}{}:
		default:
		}
		<-stuck
	})
	defer cancel()
	deadline := time.Now().Add(waitLimit)
	for len(entered) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("subscriber never called")
		}
		_ = bus.Publish(context.Background(), server.Event{Type: probeType, OrganizationID: o, Timestamp: time.Now()})
		time.Sleep(20 * time.Millisecond)
	}
	ctx, cancelCtx := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancelCtx()
	start := time.Now()
	for range 100 {
		_ = bus.Publish(ctx, server.Event{Type: server.EventSyncProgress, OrganizationID: o,
			Data: json.RawMessage(`{}`), Timestamp: time.Now()})
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("100 publishes with a stuck subscriber took %v; want publishers not to wait for subscribers", el)
	}
}
