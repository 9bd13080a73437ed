package redis_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/redis"
)

// TestEndUserSessionsAcrossInstances: a logout everywhere on B ends the
// user's sessions that A holds in its client-side cache, and A's cached
// "no not-before time" is replaced, within 100 ms.
func TestEndUserSessionsAcrossInstances(t *testing.T) {
	cfg := testConfig(t)
	a := redis.NewSessionStore(mustClient(t, cfg), cfg, time.Hour)
	b := redis.NewSessionStore(mustClient(t, cfg), cfg, time.Hour)
	ctx := context.Background()
	var ids []string
	for i := range 3 {
		s := &server.Session{ID: fmt.Sprintf("everywhere-%d", i), UserID: "u-everywhere", OrganizationID: "o1"}
		if err := a.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, s.ID)
	}
	a.WaitWriteWindow(t, ids[2])
	for _, id := range ids {
		if _, err := a.Session(ctx, id); err != nil {
			t.Fatalf("Session(%s) on A: %v", id, err)
		}
	}
	if nbf, err := a.UserNotBefore(ctx, "u-everywhere"); err != nil || !nbf.IsZero() {
		t.Fatalf("UserNotBefore on A before: got (%v, %v); want zero", nbf, err)
	}
	at, err := b.EndUserSessions(ctx, "u-everywhere")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(100 * time.Millisecond)
	for _, id := range ids {
		for {
			_, err := a.Session(ctx, id)
			if server.IsNotFound(err) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("A still serves session %s after the logout everywhere on B (err %v); want ENOTFOUND within 100ms", id, err)
			}
			time.Sleep(200 * time.Microsecond)
		}
	}
	for {
		nbf, err := a.UserNotBefore(ctx, "u-everywhere")
		if err == nil && nbf.Equal(at) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("UserNotBefore on A: got (%v, %v); want %v within 100ms", nbf, err, at)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// TestSessionIndexPruned: a user's index drops the ids of sessions that
// ended, so many logins and logouts keep it small.
func TestSessionIndexPruned(t *testing.T) {
	cfg := testConfig(t)
	st := redis.NewSessionStore(mustClient(t, cfg), cfg, time.Hour)
	ctx := context.Background()
	for i := range 100 {
		s := &server.Session{ID: fmt.Sprintf("churn-%d", i), UserID: "u-churn", OrganizationID: "o1"}
		if err := st.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteSession(ctx, s.ID); err != nil {
			t.Fatal(err)
		}
	}
	rc := mustClient(t, cfg)
	n, err := rc.Do(ctx, rc.B().Scard().Key(cfg.Prefix+"session-user:u-churn").Build()).AsInt64()
	if err != nil || n > 33 {
		t.Fatalf("index of a user after 100 logins and logouts: got %d ids (%v); want <= 33", n, err)
	}
	ttl, err := rc.Do(ctx, rc.B().Pttl().Key(cfg.Prefix+"session-user:u-churn").Build()).AsInt64()
	if err != nil || ttl <= 0 || ttl > time.Hour.Milliseconds() {
		t.Fatalf("index PTTL: got %d (%v); want in (0, 1h]", ttl, err)
	}
}
