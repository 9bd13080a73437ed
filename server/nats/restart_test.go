package nats_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	natsio "github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/nats"
)

// collector records the events of one organization.
type collector struct {
	org string
	mu  sync.Mutex
	evs []server.Event
}

func (c *collector) fn(ev server.Event) {
	if ev.OrganizationID != c.org {
		return
	}
	c.mu.Lock()
	c.evs = append(c.evs, ev)
	c.mu.Unlock()
}

func (c *collector) events() []server.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]server.Event(nil), c.evs...)
}

// wait waits until c holds n events, then a little longer for extras.
func (c *collector) wait(tb testing.TB, n int) []server.Event {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(c.events()) < n {
		if time.Now().After(deadline) {
			tb.Fatalf("got %d events within 10s; want %d", len(c.events()), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // a duplicate would arrive by now
	return c.events()
}

// checkSeq asserts evs are exactly the events numbered from..to-1, in
// order, each once.
func checkSeq(tb testing.TB, evs []server.Event, from, to int) {
	tb.Helper()
	if len(evs) != to-from {
		tb.Fatalf("got %d events; want %d (n=%d..%d)", len(evs), to-from, from, to-1)
	}
	for i, ev := range evs {
		var d struct{ N int }
		if err := json.Unmarshal(ev.Data, &d); err != nil || d.N != from+i || ev.ID == "" {
			tb.Fatalf("event %d: got data %s id %q; want n=%d with an id", i, ev.Data, ev.ID, from+i)
		}
	}
}

// checkOnce asserts evs are the events numbered from..to-1, each once, in
// any order: a replay hands an event that was in flight when the instance
// stopped again after AckWait, behind the others.
func checkOnce(tb testing.TB, evs []server.Event, from, to int) {
	tb.Helper()
	seen := map[int]bool{}
	for _, ev := range evs {
		var d struct{ N int }
		if err := json.Unmarshal(ev.Data, &d); err != nil || d.N < from || d.N >= to || seen[d.N] || ev.ID == "" {
			tb.Fatalf("replayed event %s (id %q): want each of n=%d..%d once, with an id; seen %v", ev.Data, ev.ID, from, to-1, seen)
		}
		seen[d.N] = true
	}
	if len(seen) != to-from {
		tb.Fatalf("replayed %d distinct events; want %d", len(seen), to-from)
	}
}

func publishN(tb testing.TB, b server.Bus, org string, from, to int) {
	tb.Helper()
	for i := from; i < to; i++ {
		if err := b.Publish(context.Background(), server.Event{Type: server.EventSyncProgress, OrganizationID: org,
			Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))}); err != nil {
			tb.Fatalf("Publish %d: %v", i, err)
		}
	}
}

// ready publishes probes (n = -1) on pub until every collector (all of
// one organization) saw one, then forgets them.
func ready(tb testing.TB, pub server.Bus, cs ...*collector) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		all := true
		for _, c := range cs {
			all = all && len(c.events()) > 0
		}
		if all {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatal("subscribers not receiving within 5s")
		}
		publishN(tb, pub, cs[0].org, -1, 0)
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	for _, c := range cs {
		c.mu.Lock()
		c.evs = nil
		c.mu.Unlock()
	}
}

// TestRestartedInstanceReplaysMissed: instance b stops; 20 events are
// published while it is away; b started again (same instance name) is
// handed exactly those 20, once each, and nothing it had seen.
func TestRestartedInstanceReplaysMissed(t *testing.T) {
	cfg := testConfig(t, "a")
	bcfg := cfg
	bcfg.Instance = "b"
	a := mustBus(t, cfg)
	b := mustBus(t, bcfg)
	org := "org-replay"
	cb := &collector{org: org}
	b.Subscribe(cb.fn)
	ready(t, a, cb)
	publishN(t, a, org, 0, 5)
	checkSeq(t, cb.wait(t, 5), 0, 5)
	_ = b.Close()

	publishN(t, a, org, 5, 25)
	b2 := mustBus(t, bcfg)
	c2 := &collector{org: org}
	b2.Subscribe(c2.fn)
	checkOnce(t, c2.wait(t, 20), 5, 25)
}

// TestRepeatedEventDeliveredOnce: the same event published twice (the
// server drops the repeated Nats-Msg-Id) and stored a third time under no
// message id (a raw publish) reaches a subscriber once.
func TestRepeatedEventDeliveredOnce(t *testing.T) {
	cfg := testConfig(t, "a")
	b := mustBus(t, cfg)
	org := "org-dupe"
	c := &collector{org: org}
	b.Subscribe(c.fn)
	ready(t, b, c)
	ev := server.Event{ID: "ev-1", Type: server.EventCallCompleted, OrganizationID: org, Data: json.RawMessage(`{"n":0}`), Timestamp: time.Now()}
	for range 2 {
		bustestPublish(t, b, ev)
	}
	nc, err := natsio.Connect(cfg.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	raw, _ := json.Marshal(ev)
	if err := nc.Publish(cfg.Prefix+".events", raw); err != nil {
		t.Fatal(err)
	}
	_ = nc.Flush()
	ev.ID = "ev-2"
	ev.Data = json.RawMessage(`{"n":1}`)
	bustestPublish(t, b, ev)
	checkSeq(t, c.wait(t, 2), 0, 2)
	if got := b.Duplicates(); got != 1 {
		t.Errorf("Duplicates: got %d; want 1 (the raw repeat)", got)
	}
	if m := b.Collectors(); testutil.ToFloat64(m[0]) != 1 || testutil.ToFloat64(m[2]) != 1 || testutil.ToFloat64(m[1]) < 2 {
		t.Errorf("metrics: connected %v, delivered %v, duplicates %v; want 1, >= 2, 1",
			testutil.ToFloat64(m[0]), testutil.ToFloat64(m[1]), testutil.ToFloat64(m[2]))
	}
}

func bustestPublish(tb testing.TB, b server.Bus, ev server.Event) {
	tb.Helper()
	if err := b.Publish(context.Background(), ev); err != nil {
		tb.Fatal(err)
	}
}

// TestServerRestart: on a private nats-server, instance b is away while
// 10 events are stored; the server is killed (SIGKILL) and started again
// on the same data. Publish fails fast while it is down; a's subscription
// resumes by itself; b, started again, is handed all 20 events once each.
func TestServerRestart(t *testing.T) {
	srv := stack.NewNATSServer(t)
	cfg := nats.Config{URL: srv.URL, Prefix: "es_restart", Instance: "a", AckWait: 2 * time.Second}
	bcfg := cfg
	bcfg.Instance = "b"
	org := "org-restart"
	a := mustBus(t, cfg)
	ca := &collector{org: org}
	a.Subscribe(ca.fn)
	b := mustBus(t, bcfg)
	cb := &collector{org: org}
	b.Subscribe(cb.fn)
	ready(t, a, ca, cb)
	_ = b.Close()
	publishN(t, a, org, 0, 10)
	checkSeq(t, ca.wait(t, 10), 0, 10)

	srv.Stop()
	start := time.Now()
	if err := a.Publish(context.Background(), server.Event{Type: "x", OrganizationID: org}); server.ErrorCode(err) != server.EUNAVAILABLE {
		t.Errorf("Publish with the server down: got %v; want EUNAVAILABLE", err)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("Publish with the server down took %v; want it to fail fast", el)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for a.Ping(context.Background()) != nil {
		if time.Now().After(deadline) {
			t.Fatal("bus a not reconnected within 10s of the restart")
		}
		time.Sleep(20 * time.Millisecond)
	}
	publishN(t, a, org, 10, 20)
	checkSeq(t, ca.wait(t, 20), 0, 20)

	b2 := mustBus(t, bcfg)
	c2 := &collector{org: org}
	b2.Subscribe(c2.fn)
	checkOnce(t, c2.wait(t, 20), 0, 20)
}
