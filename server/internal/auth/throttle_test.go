package auth

import (
	"context"
	"testing"
	"time"
)

func TestMemoryThrottle(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1000, 0)
	th := NewMemoryThrottle(ThrottleConfig{MaxFailures: 3, Window: time.Minute, MaxKeys: 10})
	th.now = func() time.Time { return now }
	for i := 0; i < 3; i++ {
		if d, _ := th.Check(ctx, "a"); d != 0 {
			t.Fatalf("Check after %d failures = %v; want 0", i, d)
		}
		_ = th.Failure(ctx, "a")
	}
	now = now.Add(10 * time.Second)
	if d, _ := th.Check(ctx, "a"); d != 50*time.Second {
		t.Errorf("Check after 3 failures = %v; want 50s", d)
	}
	if d, _ := th.Check(ctx, "b"); d != 0 {
		t.Errorf("Check(other key) = %v; want 0", d)
	}
	now = now.Add(50 * time.Second)
	if d, _ := th.Check(ctx, "a"); d != 0 {
		t.Errorf("Check after window = %v; want 0", d)
	}
	for i := 0; i < 3; i++ {
		_ = th.Failure(ctx, "a")
	}
	_ = th.Reset(ctx, "a")
	if d, _ := th.Check(ctx, "a"); d != 0 {
		t.Errorf("Check after Reset = %v; want 0", d)
	}
}

func TestMemoryThrottleBounded(t *testing.T) {
	ctx := context.Background()
	th := NewMemoryThrottle(ThrottleConfig{MaxKeys: 5})
	for i := 0; i < 100; i++ {
		_ = th.Failure(ctx, string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	if n := len(th.keys); n > 5 {
		t.Errorf("tracked keys = %d; want <= 5", n)
	}
}
