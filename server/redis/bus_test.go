package redis_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/redis"
)

// TestBusResubscribes: after Redis restarts, both buses subscribe again on
// their own and events flow from A to B.
func TestBusResubscribes(t *testing.T) {
	srv := stack.NewRedisServer(t)
	cfg := redis.Config{Addr: srv.Addr, Prefix: "es_bus:"}
	a, b := mustBus(t, cfg), mustBus(t, cfg)
	got := make(chan server.Event, 64)
	cancel := b.Subscribe(func(ev server.Event) { got <- ev })
	defer cancel()

	srv.Stop()
	if err := a.Publish(context.Background(), server.Event{Type: "x"}); server.ErrorCode(err) != server.EUNAVAILABLE {
		t.Errorf("Publish with Redis down = %v; want EUNAVAILABLE", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_ = a.Publish(context.Background(), server.Event{Type: server.EventCallCompleted, OrganizationID: "o", Data: json.RawMessage(`{}`)})
		select {
		case ev := <-got:
			if ev.Type != server.EventCallCompleted {
				t.Fatalf("got %+v; want a call_completed event", ev)
			}
			if !b.Connected() || b.Ping(context.Background()) != nil {
				t.Errorf("B Connected = %v, Ping = %v; want up", b.Connected(), b.Ping(context.Background()))
			}
			return
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("no event from A reached B within 5s of the Redis restart")
		}
	}
}
