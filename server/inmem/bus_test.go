package inmem

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/bustest"
)

func newTestBus(t testing.TB) *Bus {
	b := NewBus()
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func TestBusContract(t *testing.T) {
	bustest.Run(t, func(t testing.TB) server.Bus { return newTestBus(t) })
	t.Run("Shared", func(t *testing.T) {
		bustest.RunShared(t, func(t testing.TB) (server.Bus, server.Bus) {
			b := newTestBus(t)
			return b, b
		})
	})
}

// TestBusFullBufferFails: with the delivery goroutine stuck, Publish fails
// fast with EUNAVAILABLE once the buffer is full, and counts the drop.
func TestBusFullBufferFails(t *testing.T) {
	b := newTestBus(t)
	stuck := make(chan struct{})
	entered := make(chan struct{})
	var once bool
	cancel := b.Subscribe(func(server.Event) {
		if !once {
			once = true
			close(entered)
		}
		<-stuck
	})
	defer close(stuck) // runs after cancel and before cleanup's Close
	defer cancel()
	ctx := context.Background()
	ev := server.Event{Type: server.EventSyncStarted, OrganizationID: "o", Data: json.RawMessage(`{}`), Timestamp: time.Now()}
	bustest.MustPublish(t, b, ev)
	<-entered
	for i := range DefaultBusBuffer {
		if err := b.Publish(ctx, ev); err != nil {
			t.Fatalf("publish %d: got %v; want buffered", i, err)
		}
	}
	if err := b.Publish(ctx, ev); server.ErrorCode(err) != server.EUNAVAILABLE {
		t.Fatalf("publish past the buffer: got %v; want EUNAVAILABLE", err)
	}
	if got := b.Dropped(); got != 1 {
		t.Fatalf("dropped: got %d; want 1", got)
	}
}

func TestBusClosed(t *testing.T) {
	b := NewBus()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := b.Publish(context.Background(), server.Event{}); server.ErrorCode(err) != server.EUNAVAILABLE {
		t.Fatalf("Publish after Close: got %v; want EUNAVAILABLE", err)
	}
	if err := b.Ping(context.Background()); err == nil {
		t.Fatal("Ping after Close: got nil; want an error")
	}
}
