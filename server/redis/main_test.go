package redis_test

import (
	"testing"

	"github.com/redis/rueidis"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/server/redis"
)

func TestMain(m *testing.M) { stack.Main(m) }

// testConfig is the Config of the shared Redis with tb's own prefix; its
// keys are deleted when tb ends.
func testConfig(tb testing.TB) redis.Config {
	tb.Helper()
	r := stack.NewRedis(tb)
	cfg := redis.Config{Addr: r.Addr, Password: r.Password, DB: r.DB, Prefix: r.Prefix}
	return cfg
}

// mustClient returns a client for cfg, closed when tb ends.
func mustClient(tb testing.TB, cfg redis.Config) rueidis.Client {
	tb.Helper()
	rc, err := redis.NewClient(cfg)
	if err != nil {
		tb.Fatalf("NewClient(%s) = %v", cfg.Addr, err)
	}
	tb.Cleanup(rc.Close)
	return rc
}
