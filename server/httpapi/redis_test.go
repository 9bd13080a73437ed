package httpapi_test

import (
	"testing"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/server/redis"
)

// redisConfig is the Config of the shared Redis with tb's own key prefix,
// whose keys are deleted when tb ends.
func redisConfig(tb testing.TB) redis.Config {
	tb.Helper()
	r := stack.NewRedis(tb)
	cfg := redis.Config{Addr: r.Addr, Password: r.Password, DB: r.DB, Prefix: r.Prefix}
	return cfg
}
