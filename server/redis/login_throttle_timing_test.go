package redis_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/redis"
)

// BenchmarkLoginThrottleAttempt is the cost a login pays before its
// password check with SESSION_STORE=redis: one EVALSHA round trip.
func BenchmarkLoginThrottleAttempt(b *testing.B) {
	cfg := testConfig(b)
	cfg.ReadTimeout = 5 * time.Second
	th := redis.NewLoginThrottle(mustClient(b, cfg), cfg, server.LoginLimits{PerAccount: 1 << 30, PerAddress: 1 << 30})
	accts, addrs := make([]string, 1024), make([]string, 1024)
	for i := range accts {
		accts[i], addrs[i] = "user"+strconv.Itoa(i)+"@example.com", "203.0.113."+strconv.Itoa(i%256)
	}
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := th.Attempt(ctx, accts[i%1024], addrs[i%1024]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
