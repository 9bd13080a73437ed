package fasttime_test

import (
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server/internal/fasttime"
)

func TestClockLagsNeverLeads(t *testing.T) {
	fasttime.Start()
	deadline := time.Now().Add(2 * time.Second)
	first := fasttime.UnixNano()
	for time.Now().Before(deadline) && fasttime.UnixNano() == first {
		time.Sleep(time.Millisecond)
	}
	if got := fasttime.UnixNano(); got == first {
		t.Fatalf("clock did not advance within 2s")
	}
	for i := 0; i < 100; i++ {
		c, now := fasttime.UnixNano(), time.Now().UnixNano()
		if c > now {
			t.Fatalf("coarse clock %d ahead of time.Now %d", c, now)
		}
		if now-c > int64(time.Second) {
			t.Fatalf("coarse clock lags by %v; want about %v", time.Duration(now-c), fasttime.Resolution)
		}
		if m := fasttime.UnixMilli(); m != c/int64(time.Millisecond) && m != c/int64(time.Millisecond)+1 {
			t.Fatalf("UnixMilli() = %d; want %d", m, c/int64(time.Millisecond))
		}
	}
}

func BenchmarkUnixNano(b *testing.B) {
	fasttime.Start()
	b.ReportAllocs()
	for b.Loop() {
		_ = fasttime.UnixNano()
	}
}

// BenchmarkClock pairs the coarse clock with time.Now, the call it replaces
// on the cache hit path, serially and from every core.
func BenchmarkClock(b *testing.B) {
	fasttime.Start()
	now := map[string]func() int64{
		"ours":    fasttime.UnixNano,
		"library": func() int64 { return time.Now().UnixNano() },
	}
	for _, mode := range []string{"serial", "parallel"} {
		for _, impl := range []string{"ours", "library"} {
			f := now[impl]
			b.Run(mode+"/"+impl, func(b *testing.B) {
				b.ReportAllocs()
				if mode == "serial" {
					for b.Loop() {
						_ = f()
					}
					return
				}
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						_ = f()
					}
				})
			})
		}
	}
}
