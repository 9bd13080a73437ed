package redis_test

import (
	"context"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/redis"
)

// TestSessionAcrossInstances: a session made on A works on B, and a logout
// on B ends it on both at once (no client-side copy to outlive it).
func TestSessionAcrossInstances(t *testing.T) {
	cfg := testConfig(t)
	a := redis.NewSessionStore(mustClient(t, cfg), cfg, time.Hour)
	b := redis.NewSessionStore(mustClient(t, cfg), cfg, time.Hour)
	ctx := context.Background()
	s := &server.Session{ID: "sess-1", UserID: "u1", OrganizationID: "o1"}
	if err := a.CreateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	for _, st := range []*redis.SessionStore{a, b, a, b} {
		if got, err := st.Session(ctx, s.ID); err != nil || got.UserID != "u1" {
			t.Fatalf("Session = %+v, %v; want u1's session on both instances", got, err)
		}
	}
	if err := b.DeleteSession(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	for i, st := range []*redis.SessionStore{a, b} {
		if got, err := st.Session(ctx, s.ID); !server.IsNotFound(err) {
			t.Fatalf("instance %d right after logout: Session = %+v, %v; want ENOTFOUND", i, got, err)
		}
	}
}
