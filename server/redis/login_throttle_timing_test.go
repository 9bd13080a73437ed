package redis_test

import (
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/redis"
	"github.com/echosenseix/echosenseix/server/throttletest"
)

// BenchmarkLoginThrottleAttempt is the cost a login pays before its
// password check with SESSION_STORE=redis: one EVALSHA round trip.
func BenchmarkLoginThrottleAttempt(b *testing.B) {
	cfg := testConfig(b)
	cfg.ReadTimeout = 5 * time.Second
	th := redis.NewLoginThrottle(mustClient(b, cfg), cfg, server.LoginLimits{PerAccount: 1 << 30, PerAddress: 1 << 30})
	throttletest.BenchmarkAttempt(b, th)
}
