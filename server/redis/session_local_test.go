package redis

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/server"
)

// countingClient counts the commands sent to Redis (cache hits of DoCache
// included: a direct lookup never calls it).
type countingClient struct {
	rueidis.Client
	calls atomic.Int64
}

func (c *countingClient) Do(ctx context.Context, cmd rueidis.Completed) rueidis.RedisResult {
	c.calls.Add(1)
	return c.Client.Do(ctx, cmd)
}

func (c *countingClient) DoCache(ctx context.Context, cmd rueidis.Cacheable, ttl time.Duration) rueidis.RedisResult {
	c.calls.Add(1)
	return c.Client.DoCache(ctx, cmd, ttl)
}

func (c *countingClient) DoMulti(ctx context.Context, cmds ...rueidis.Completed) []rueidis.RedisResult {
	c.calls.Add(1)
	return c.Client.DoMulti(ctx, cmds...)
}

func (c *countingClient) DoMultiCache(ctx context.Context, cmds ...rueidis.CacheableTTL) []rueidis.RedisResult {
	c.calls.Add(1)
	return c.Client.DoMultiCache(ctx, cmds...)
}

// countedStore returns a SessionStore whose client counts its calls.
func countedStore(t *testing.T) (*SessionStore, *countingClient) {
	t.Helper()
	r := stack.NewRedis(t)
	cfg := Config{Addr: r.Addr, Password: r.Password, DB: r.DB, Prefix: r.Prefix}
	rc, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rc.Close)
	cc := &countingClient{Client: rc.(*client).Client}
	st := NewSessionStore(&client{Client: cc, local: rc.(*client).local}, cfg, time.Hour)
	if st.local == nil {
		t.Fatal("store has no direct lookups; want them on a NewClient client")
	}
	return st, cc
}

// TestSessionLocalHitNeedsNoRedis: once cached, a session is answered from
// process memory without a call to Redis, even with the breaker open; an
// uncached one is then refused.
func TestSessionLocalHitNeedsNoRedis(t *testing.T) {
	st, cc := countedStore(t)
	ctx := context.Background()
	s := &server.Session{ID: "local-1", UserID: "u1", OrganizationID: "o1"}
	if err := st.CreateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.br.openUntil.Store(0); _ = st.DeleteSession(context.Background(), s.ID) })
	waitGuard(t, &st.guard, s.ID) // past the write window
	if _, err := st.Session(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	before := cc.calls.Load()
	for range 100 {
		got, err := st.Session(ctx, s.ID)
		if err != nil || got.UserID != "u1" || !got.ExpiresAt.Equal(s.ExpiresAt) {
			t.Fatalf("cached lookup = %+v, %v; want u1's session expiring at %v", got, err, s.ExpiresAt)
		}
		got.UserID = "changed" // must not change the cached copy
	}
	if n := cc.calls.Load() - before; n != 0 {
		t.Fatalf("100 lookups of a cached session made %d calls to Redis; want 0", n)
	}

	st.br.openUntil.Store(time.Now().Add(time.Hour).UnixNano())
	if got, err := st.Session(ctx, s.ID); err != nil || got.UserID != "u1" {
		t.Fatalf("cached lookup with the breaker open = %+v, %v; want u1's session", got, err)
	}
	if _, err := st.Session(ctx, "not-cached"); server.ErrorCode(err) != server.EUNAVAILABLE {
		t.Fatalf("uncached lookup with the breaker open = %v; want EUNAVAILABLE", err)
	}
	if n := cc.calls.Load() - before; n != 0 {
		t.Fatalf("lookups with the breaker open made %d calls to Redis; want 0", n)
	}
}

// TestSessionUnknownNotCached: a lookup of an unknown id leaves nothing in
// the client-side cache.
func TestSessionUnknownNotCached(t *testing.T) {
	st, cc := countedStore(t)
	for range 3 {
		if _, err := st.Session(context.Background(), "unknown"); !server.IsNotFound(err) {
			t.Fatalf("unknown id: %v; want ENOTFOUND", err)
		}
	}
	if n := cc.calls.Load(); n != 3 {
		t.Errorf("3 lookups of an unknown id made %d calls; want 3 (no cached absence)", n)
	}
	if n := st.local.entries.Load(); n != 0 {
		t.Errorf("client-side entries after unknown lookups = %d; want 0", n)
	}
}
