package redis_test

import (
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/bustest"
	"github.com/echosenseix/echosenseix/server/cachetest"
	"github.com/echosenseix/echosenseix/server/redis"
	"github.com/echosenseix/echosenseix/server/sessiontest"
)

func TestCacheContract(t *testing.T) {
	cachetest.Run(t, func(tb testing.TB) server.Cache {
		return newCache(tb, testConfig(tb))
	})
}

func TestSessionContract(t *testing.T) {
	sessiontest.Run(t, func(tb testing.TB, ttl time.Duration) server.SessionStore {
		cfg := testConfig(tb)
		return redis.NewSessionStore(mustClient(tb, cfg), cfg, ttl)
	})
}

func mustBus(tb testing.TB, cfg redis.Config) *redis.Bus {
	tb.Helper()
	b, err := redis.NewBus(mustClient(tb, cfg), cfg, nil)
	if err != nil {
		tb.Fatalf("NewBus: %v", err)
	}
	tb.Cleanup(b.Close)
	return b
}

func TestBusContract(t *testing.T) {
	bustest.Run(t, func(tb testing.TB) server.Bus { return mustBus(tb, testConfig(tb)) })
}

func TestBusSharedContract(t *testing.T) {
	bustest.RunShared(t, func(tb testing.TB) (server.Bus, server.Bus) {
		cfg := testConfig(tb)
		return mustBus(tb, cfg), mustBus(tb, cfg)
	})
}
