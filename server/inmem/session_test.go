package inmem

import (
	"context"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/sessiontest"
)

func TestSessionStoreContract(t *testing.T) {
	sessiontest.Run(t, func(_ testing.TB, ttl time.Duration) server.SessionStore {
		return NewSessionStore(ttl)
	})
}

// TestSessionStoreSweeps: expired sessions nobody reads again are removed
// by later creations, so memory does not grow without bound.
func TestSessionStoreSweeps(t *testing.T) {
	const ttl = 50 * time.Millisecond
	s := NewSessionStore(ttl)
	start := time.Now()
	for range 500 {
		sessiontest.MustCreate(t, s)
	}
	if got := s.Len(); got != 500 && time.Since(start) < ttl {
		t.Fatalf("sessions held: got %d; want 500 (none has expired yet)", got)
	}
	// Every round waits until everything held has expired, then creates 50
	// sessions (creations sweep their shard): only those 50 are live, so
	// the store must shrink towards them however slowly creations run.
	deadline := time.Now().Add(5 * time.Second)
	for s.Len() > 100 {
		if time.Now().After(deadline) {
			t.Fatalf("sessions held: got %d; want expired ones swept", s.Len())
		}
		time.Sleep(2 * ttl)
		for range 50 {
			if err := s.CreateSession(context.Background(), &server.Session{ID: sessiontest.NewID(t)}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestSessionStoreNeedsTTL: the store has no default lifetime of its own
// (SESSION_TTL's one default is the command's), so a zero TTL is a bug.
func TestSessionStoreNeedsTTL(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Errorf("NewSessionStore(0): got no panic; want a BUG panic")
		}
	}()
	NewSessionStore(0)
}
