package shed

import (
	"testing"
	"time"
)

// fakeClock is a settable unix-ns clock.
type fakeClock struct{ now int64 }

func (c *fakeClock) get() int64 { return c.now }

func newTest(cfg Config) (*Limiter, *fakeClock) {
	l := New(cfg)
	c := &fakeClock{now: 1_000 * int64(time.Second)}
	l.clock = c.get
	l.next.Store(c.now + int64(l.cfg.Window))
	return l, c
}

// run admits conc requests at once, each lasting lat, for windows windows.
func run(l *Limiter, c *fakeClock, conc int, lat time.Duration, windows int) (admitted, refused int) {
	for range windows {
		var starts []int64
		for range conc {
			if s := l.Acquire(); s != 0 {
				starts = append(starts, s)
			} else {
				refused++
			}
		}
		admitted += len(starts)
		c.now += int64(lat)
		for _, s := range starts {
			l.Release(s)
		}
		c.now += int64(l.cfg.Window)
	}
	return admitted, refused
}

// A load at acceptable latency (a saturated closed loop below the target)
// is never refused, whatever its concurrency.
func TestNoRefusalBelowTarget(t *testing.T) {
	l, c := newTest(Config{Max: 1024})
	if _, refused := run(l, c, 1000, 30*time.Millisecond, 200); refused != 0 {
		t.Errorf("refused %d requests at 30 ms average (target 100 ms); want 0", refused)
	}
	if l.Limit() != 1024 {
		t.Errorf("limit = %d; want it to stay at Max (1024)", l.Limit())
	}
}

// Latency past the target lowers the limit by the gradient; the excess is
// refused; once latency is back, the limit grows again.
func TestLimitFollowsLatency(t *testing.T) {
	l, c := newTest(Config{Max: 1024})
	run(l, c, 500, 10*time.Millisecond, 20) // baseline 10 ms: target stays 100 ms
	_, refused := run(l, c, 500, 400*time.Millisecond, 10)
	if l.Limit() >= 500 || refused == 0 {
		t.Fatalf("after 400 ms averages: limit %d, refused %d; want the limit under the 500 offered and refusals", l.Limit(), refused)
	}
	low := l.Limit()
	if low < DefaultMin {
		t.Fatalf("limit %d below Min", low)
	}
	run(l, c, 1024, 10*time.Millisecond, 100)
	if l.Limit() <= low {
		t.Errorf("limit after latency recovered: %d; want above %d", l.Limit(), low)
	}
}

// A sustained overload does not ratchet the target up past MaxTarget: the
// limit keeps shrinking while the average stays above it.
func TestSustainedOverloadBounded(t *testing.T) {
	l, c := newTest(Config{Max: 1024, MaxTarget: 500 * time.Millisecond})
	for range 30 { // 30 s of 2 s averages: the baseline becomes 2 s
		run(l, c, 1024, 2*time.Second, 1)
		c.now += int64(time.Second)
	}
	if l.Limit() != DefaultMin {
		t.Errorf("limit after 30 s at 2 s averages: %d; want Min (%d)", l.Limit(), DefaultMin)
	}
}

// An idle server does not grow a limit it never tests.
func TestIdleDoesNotGrow(t *testing.T) {
	l, c := newTest(Config{Max: 1024})
	run(l, c, 1000, 10*time.Millisecond, 5)
	run(l, c, 1000, 300*time.Millisecond, 5)
	low := l.Limit()
	run(l, c, 20, time.Millisecond, 50)
	if low >= 1024 || l.Limit() > low {
		t.Errorf("limit %d after overload, %d after 50 windows at 20 in flight; want no growth (20 < limit/2)", low, l.Limit())
	}
}

func BenchmarkAcquireRelease(b *testing.B) {
	l := New(Config{})
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if s := l.Acquire(); s != 0 {
				l.Release(s)
			}
		}
	})
}
