package redis_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/redis"
	"github.com/echosenseix/echosenseix/server/throttletest"
)

func TestLoginThrottleContract(t *testing.T) {
	throttletest.Run(t, func(tb testing.TB, lim server.LoginLimits) server.LoginThrottle {
		cfg := testConfig(tb)
		return redis.NewLoginThrottle(mustClient(tb, cfg), cfg, lim)
	})
}

// TestLoginThrottleShared: two instances (own clients, same Redis) share
// the count: 30 parallel attempts spread over both allow the limit once,
// not once per instance.
func TestLoginThrottleShared(t *testing.T) {
	cfg := testConfig(t)
	lim := server.LoginLimits{PerAccount: 5, PerAddress: 100}
	a := redis.NewLoginThrottle(mustClient(t, cfg), cfg, lim)
	b := redis.NewLoginThrottle(mustClient(t, cfg), cfg, lim)
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for i := range 30 {
		th := a
		if i%2 == 1 {
			th = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := th.Attempt(context.Background(), "shared@example.com", "203.0.113.7")
			if err != nil {
				t.Errorf("Attempt: %v", err)
			}
			if d == 0 {
				allowed.Add(1)
			}
		}()
	}
	wg.Wait()
	if got := allowed.Load(); got != 5 {
		t.Fatalf("30 attempts over two instances: got %d allowed; want 5", got)
	}
	if d, err := b.Attempt(context.Background(), "shared@example.com", "198.51.100.1"); err != nil || d != 0 {
		t.Fatalf("owner from another address on the other instance: got (%v, %v); want allowed", d, err)
	}
}

// TestLoginThrottleDown: Redis gone answers EUNAVAILABLE (login answers 503),
// never "allowed".
func TestLoginThrottleDown(t *testing.T) {
	cfg := testConfig(t)
	rc := mustClient(t, cfg)
	th := redis.NewLoginThrottle(rc, cfg, server.LoginLimits{})
	rc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d, err := th.Attempt(ctx, "x@example.com", "192.0.2.1")
	if code := server.ErrorCode(err); code != server.EUNAVAILABLE {
		t.Fatalf("Attempt with the client closed: got (%v, %v, code %q); want %q", d, err, code, server.EUNAVAILABLE)
	}
}
