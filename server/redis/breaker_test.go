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
