package redis_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/redis"
)

// TestSessionAcrossInstances: a session made on A works on B; a logout on B
// ends it on B at once and on A (which holds a client-side copy) when
// Redis' invalidation arrives, within 100 ms.
func TestSessionAcrossInstances(t *testing.T) {
	cfg := testConfig(t)
	a := redis.NewSessionStore(mustClient(t, cfg), cfg, time.Hour)
	b := redis.NewSessionStore(mustClient(t, cfg), cfg, time.Hour)
	ctx := context.Background()
	s := &server.Session{ID: "sess-1", UserID: "u1", OrganizationID: "o1"}
	if err := a.CreateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	a.WaitWriteWindow(t, s.ID) // past A's write window: A caches it too
	for _, st := range []*redis.SessionStore{a, b, a, b} {
		if got, err := st.Session(ctx, s.ID); err != nil || got.UserID != "u1" {
			t.Fatalf("Session = %+v, %v; want u1's session on both instances", got, err)
		}
	}
	if err := b.DeleteSession(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	deleted := time.Now()
	if got, err := b.Session(ctx, s.ID); !server.IsNotFound(err) {
		t.Fatalf("B right after its logout: Session = %+v, %v; want ENOTFOUND", got, err)
	}
	for {
		_, err := a.Session(ctx, s.ID)
		if server.IsNotFound(err) {
			break
		}
		if err != nil {
			t.Fatalf("A after the logout on B: %v; want the session or ENOTFOUND", err)
		}
		if time.Since(deleted) > 100*time.Millisecond {
			t.Fatalf("A still serves the session %v after the logout on B; want ENOTFOUND within 100ms", time.Since(deleted))
		}
		time.Sleep(100 * time.Microsecond)
	}
	t.Logf("logout on B reached A after %v", time.Since(deleted))
}

// TestSessionRenewal: with a 2 s TTL, a session looked up every 300 ms
// stays alive past 3 TTLs, and its ExpiresAt is what Redis has; a session
// left alone expires. A run where the test itself was starved (a lookup
// more than TTL/2 after the previous one proves nothing) starts over.
func TestSessionRenewal(t *testing.T) {
	const ttl = 2 * time.Second
	cfg := testConfig(t)
	rc := mustClient(t, cfg)
	st := redis.NewSessionStore(rc, cfg, ttl)
	for run := 0; !renewOnce(t, rc, cfg, st, ttl, run); run++ {
		if run == 2 {
			t.Fatal("test starved three times: could not look a session up every 300ms")
		}
	}
}

// renewOnce runs TestSessionRenewal once; false: starved, try again.
func renewOnce(t *testing.T, rc rueidis.Client, cfg redis.Config, st *redis.SessionStore, ttl time.Duration, run int) bool {
	ctx := context.Background()
	used := &server.Session{ID: fmt.Sprintf("used-%d", run), UserID: "u1", OrganizationID: "o1"}
	idle := &server.Session{ID: fmt.Sprintf("idle-%d", run), UserID: "u2", OrganizationID: "o1"}
	for _, s := range []*server.Session{used, idle} {
		if err := st.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	start, last, prev := time.Now(), used.ExpiresAt, time.Now()
	for time.Since(start) < 3*ttl+ttl/4 {
		time.Sleep(300 * time.Millisecond)
		got, err := st.Session(ctx, used.ID)
		if gap := time.Since(prev); gap > ttl/2 {
			t.Logf("run %d starved: lookup %v after the previous one", run, gap)
			return false
		}
		if err != nil {
			t.Fatalf("Session after %v of use every 300ms (TTL %v): %v; want it alive", time.Since(start), ttl, err)
		}
		if got.ExpiresAt.Before(last) {
			t.Fatalf("ExpiresAt went back: got %v; want >= %v", got.ExpiresAt, last)
		}
		last, prev = got.ExpiresAt, time.Now()
	}
	if !last.After(used.ExpiresAt.Add(ttl)) {
		t.Errorf("ExpiresAt after 3 TTLs of use = %v; want later than created+2*TTL (%v)", last, used.ExpiresAt.Add(ttl))
	}
	// The last lookup may have started a renewal in the background: once it
	// lands, the answer's ExpiresAt is what Redis has (within 100 ms).
	for settle := time.Now().Add(time.Second); ; {
		got, err := st.Session(ctx, used.ID)
		if err != nil {
			t.Fatal(err)
		}
		pttl, err := rc.Do(ctx, rc.B().Pttl().Key(cfg.Prefix+"session:"+used.ID).Build()).AsInt64()
		if err != nil {
			t.Fatal(err)
		}
		redisExp := time.Now().Add(time.Duration(pttl) * time.Millisecond)
		if absDur(got.ExpiresAt.Sub(redisExp)) <= 100*time.Millisecond {
			break
		}
		if time.Now().After(settle) {
			t.Errorf("ExpiresAt = %v; want what Redis has (PTTL %dms: %v) within 100ms", got.ExpiresAt, pttl, redisExp)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got, err := st.Session(ctx, idle.ID); !server.IsNotFound(err) {
		t.Fatalf("idle session after %v (TTL %v): got %+v, %v; want ENOTFOUND", time.Since(start), ttl, got, err)
	}
	return true
}

// TestSessionRenewalFixesLegacy: a session written by the GETEX version
// (stale ExpiresAt, expiry slid by GETEX) is served and renewed.
func TestSessionRenewalFixesLegacy(t *testing.T) {
	cfg := testConfig(t)
	rc := mustClient(t, cfg)
	st := redis.NewSessionStore(rc, cfg, time.Hour)
	ctx := context.Background()
	key := cfg.Prefix + "session:legacy"
	old := `{"id":"legacy","userId":"u1","organizationId":"o1","createdAt":"2020-01-01T00:00:00Z","expiresAt":"2020-01-02T00:00:00Z"}`
	if err := rc.Do(ctx, rc.B().Set().Key(key).Value(old).PxMilliseconds(time.Hour.Milliseconds()).Build()).Error(); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Session(ctx, "legacy"); err != nil || got.UserID != "u1" {
		t.Fatalf("legacy session: got %+v, %v; want it served", got, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, err := st.Session(ctx, "legacy")
		if err != nil {
			t.Fatal(err)
		}
		if absDur(time.Until(got.ExpiresAt)-time.Hour) < time.Minute {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("legacy session ExpiresAt = %v 5s after its first lookup; want renewed to about now+1h", got.ExpiresAt)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
