package redis

import (
	"context"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/stack"
)

// TestProbeLeakOnLocalHit: a Get answered from the client-side cache while
// the breaker is half-open must not take (and then never release) the
// probe; Ping, the health check, must reach Redis again at once. Found by
// the integration TestRedisStall wedging a cache breaker open for good.
func TestProbeLeakOnLocalHit(t *testing.T) {
	srv := stack.NewRedisServer(t)
	cfg := Config{Addr: srv.Addr, Prefix: "es_leak:"}
	rc, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	c := NewCache(rc, cfg)
	ctx := context.Background()
	if err := c.Set(ctx, "k", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	waitGuard(t, &c.guard, "k") // past the read-your-writes window
	c.Get(ctx, "k")             // fills the local copy
	if _, ok, _ := c.Get(ctx, "k"); !ok {
		t.Fatal("no hit")
	}
	// The breaker opened (3 failures) and its open second is over.
	c.br.fails.Store(3)
	c.br.openUntil.Store(time.Now().Add(-time.Millisecond).UnixNano())
	v, ok, err := c.Get(ctx, "k") // takes the probe, answered locally
	t.Logf("probe Get = %q %v %v; probeAt=%v openUntil set=%v", v, ok, err, c.br.probeAt.Load(), c.br.openUntil.Load() != 0)
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := c.Ping(ctx)
		if err == nil {
			t.Logf("Ping ok")
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Ping still %v 5s later, Redis healthy all along", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
