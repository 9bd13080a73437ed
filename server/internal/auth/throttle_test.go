package auth

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/throttletest"
)

func TestMemoryThrottleContract(t *testing.T) {
	throttletest.Run(t, func(_ testing.TB, lim server.LoginLimits) server.LoginThrottle {
		return NewMemoryThrottle(lim, 0)
	})
}

func TestMemoryThrottleBounded(t *testing.T) {
	ctx := context.Background()
	th := NewMemoryThrottle(server.LoginLimits{}, 9)
	for i := range 100 {
		_, _ = th.Attempt(ctx, fmt.Sprintf("acct-%d", i), fmt.Sprintf("addr-%d", i))
	}
	if n := len(th.keys); n > 9 {
		t.Errorf("tracked keys = %d; want <= 9", n)
	}
}

func TestThrottleKeysShort(t *testing.T) {
	long := strings.Repeat("x", 10_000)
	for _, k := range []string{func() string { a, _, _ := ThrottleKeys(long, long); return a }(),
		func() string { _, _, p := ThrottleKeys(long, long); return p }()} {
		if len(k) > 64 {
			t.Errorf("key of a 10 kB account: got %d bytes; want <= 64", len(k))
		}
	}
	if a1, _, _ := ThrottleKeys("a", long); a1 == func() string { a, _, _ := ThrottleKeys("a", long+"y"); return a }() {
		t.Error("two long addresses share a key; want distinct digests")
	}
}
