package auth

import (
	"context"
	"strconv"
	"testing"

	"github.com/echosenseix/echosenseix/server"
)

// BenchmarkMemoryThrottleAttempt is the cost a login pays before its
// password check (compare BenchmarkVerifyPassword).
func BenchmarkMemoryThrottleAttempt(b *testing.B) {
	th := NewMemoryThrottle(server.LoginLimits{PerAccount: 1 << 30, PerAddress: 1 << 30}, 0)
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
