package redis

import (
	"errors"
	"testing"
	"time"
)

func TestBreaker(t *testing.T) {
	var b breaker
	boom := errors.New("boom")
	for i := range breakerThreshold - 1 {
		if !b.allow() {
			t.Fatalf("allow after %d failures = false; want true", i)
		}
		b.record(boom)
	}
	b.record(boom)
	if b.allow() {
		t.Fatalf("allow after %d consecutive failures = true; want false (open)", breakerThreshold)
	}
	b.openUntil.Store(time.Now().Add(-time.Millisecond).UnixNano()) // the open period has passed
	if !b.allow() {
		t.Fatal("first allow after the open period = false; want one probe")
	}
	if b.allow() {
		t.Fatal("second allow while the probe runs = true; want false")
	}
	b.record(boom) // the probe failed: open again
	if b.allow() {
		t.Fatal("allow after a failed probe = true; want false")
	}
	b.openUntil.Store(time.Now().Add(-time.Millisecond).UnixNano())
	if !b.allow() {
		t.Fatal("probe refused")
	}
	b.record(nil)
	for range 3 {
		if !b.allow() {
			t.Fatal("allow after a successful probe = false; want closed")
		}
	}
}

// TestBreakerStaysClosedWhileCallsSucceed: failures between recent successes
// (a loaded Redis: late replies fail in bursts) do not open the breaker;
// once nothing has succeeded for breakerQuiet, the next failure does.
func TestBreakerStaysClosedWhileCallsSucceed(t *testing.T) {
	var b breaker
	boom := errors.New("boom")
	b.record(nil)
	for i := range 10 * breakerThreshold {
		b.record(boom)
		if !b.allow() {
			t.Fatalf("allow after %d failures, last success just now = false; want true", i+1)
		}
	}
	b.lastOK.Store(time.Now().Add(-breakerQuiet).UnixMilli())
	b.record(boom)
	if b.allow() {
		t.Fatalf("allow after failures and no success for %v = true; want false (open)", breakerQuiet)
	}
}

// TestBreakerProbeExpires: a granted probe whose outcome is never recorded
// blocks further probes only for breakerProbeFor.
func TestBreakerProbeExpires(t *testing.T) {
	var b breaker
	for range breakerThreshold {
		b.record(errors.New("boom"))
	}
	b.openUntil.Store(time.Now().Add(-time.Millisecond).UnixNano())
	if !b.allow() {
		t.Fatal("first probe refused")
	}
	if b.allow() {
		t.Fatal("second probe granted while the first runs")
	}
	b.probeAt.Store(time.Now().Add(-breakerProbeFor).UnixNano()) // the first never reported
	if !b.allow() {
		t.Fatal("no new probe after the first was lost")
	}
}
