package wsclient

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestBackoffDelayBounds(t *testing.T) {
	b := Backoff{Initial: 100 * time.Millisecond, Max: 2 * time.Second, Multiplier: 2, Jitter: 0.5}
	tests := []struct {
		attempt  int
		wantBase time.Duration
	}{
		{0, 100 * time.Millisecond},
		{1, 200 * time.Millisecond},
		{3, 800 * time.Millisecond},
		{4, 1600 * time.Millisecond},
		{5, 2 * time.Second},
		{60, 2 * time.Second},
		{1 << 20, 2 * time.Second},
	}
	for _, tt := range tests {
		for _, r := range []float64{0, 0.25, 0.5, 0.999999} {
			got := b.Delay(tt.attempt, r)
			lo := time.Duration(float64(tt.wantBase) * 0.5)
			if got < lo || got > tt.wantBase {
				t.Errorf("Delay(%d, %v) = %v; want in [%v, %v]", tt.attempt, r, got, lo, tt.wantBase)
			}
		}
		if got := b.Delay(tt.attempt, 0); got != tt.wantBase {
			t.Errorf("Delay(%d, 0) = %v; want %v", tt.attempt, got, tt.wantBase)
		}
	}
}

func TestBackoffDefaults(t *testing.T) {
	var b Backoff
	if got, want := b.Delay(0, 0), 100*time.Millisecond; got != want {
		t.Errorf("zero Backoff Delay(0, 0) = %v; want %v", got, want)
	}
	if got, want := b.Delay(100, 0), 30*time.Second; got != want {
		t.Errorf("zero Backoff Delay(100, 0) = %v; want %v", got, want)
	}
	if got, want := b.Delay(100, 0.999), 15*time.Second; got < want {
		t.Errorf("zero Backoff Delay(100, 0.999) = %v; want >= %v", got, want)
	}
}

func TestReconnectStopsAfterMaxAttempts(t *testing.T) {
	dialErr := errors.New("refused")
	calls := 0
	cfg := ReconnectConfig{
		URL: "ws://x", MaxAttempts: 4, Backoff: Backoff{Initial: time.Millisecond, Max: 4 * time.Millisecond},
		Dial: func(context.Context, string, http.Header) (*Conn, error) { calls++; return nil, dialErr },
	}
	start := time.Now()
	err := Reconnect(context.Background(), cfg, func(context.Context, *Conn) error { return nil })
	if !errors.Is(err, dialErr) {
		t.Fatalf("Reconnect err = %v; want %v", err, dialErr)
	}
	if calls != 4 {
		t.Errorf("dial calls = %d; want 4", calls)
	}
	// 3 sleeps of at most 1+2+4 ms.
	if d := time.Since(start); d > time.Second {
		t.Errorf("Reconnect took %v; want well under 1s", d)
	}
}

func TestReconnectHonorsContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	cfg := ReconnectConfig{
		URL: "ws://x", Backoff: Backoff{Initial: time.Hour},
		Dial: func(context.Context, string, http.Header) (*Conn, error) { return nil, errors.New("refused") },
	}
	if err := Reconnect(ctx, cfg, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Reconnect err = %v; want context.DeadlineExceeded", err)
	}
}
