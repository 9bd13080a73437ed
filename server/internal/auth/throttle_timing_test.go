package auth

import (
	"testing"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/throttletest"
)

// BenchmarkMemoryThrottleAttempt is the cost a login pays before its
// password check (compare BenchmarkVerifyPassword).
func BenchmarkMemoryThrottleAttempt(b *testing.B) {
	th := NewMemoryThrottle(server.LoginLimits{PerAccount: 1 << 30, PerAddress: 1 << 30}, 0)
	throttletest.BenchmarkAttempt(b, th)
}
