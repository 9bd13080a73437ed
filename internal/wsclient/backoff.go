package wsclient

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"time"
)

// Backoff is jittered exponential backoff. Zero fields take defaults.
type Backoff struct {
	// Initial is the first delay (default 100 ms).
	Initial time.Duration
	// Max caps every delay (default 30 s).
	Max time.Duration
	// Multiplier grows the delay per attempt (default 2).
	Multiplier float64
	// Jitter is the fraction of the delay that is random, in [0,1]
	// (default 0.5): delays fall in [d*(1-Jitter), d].
	Jitter float64
}

func (b Backoff) withDefaults() Backoff {
	if b.Initial <= 0 {
		b.Initial = 100 * time.Millisecond
	}
	if b.Max <= 0 {
		b.Max = 30 * time.Second
	}
	if b.Max < b.Initial {
		b.Max = b.Initial
	}
	if b.Multiplier < 1 {
		b.Multiplier = 2
	}
	if b.Jitter <= 0 || b.Jitter > 1 {
		b.Jitter = 0.5
	}
	return b
}

// Delay returns the wait before retry number attempt (0-based) given r, a
// uniform random number in [0,1): d = min(Max, Initial*Multiplier^attempt),
// and the result lies in [d*(1-Jitter), d].
func (b Backoff) Delay(attempt int, r float64) time.Duration {
	b = b.withDefaults()
	d := float64(b.Initial)
	for i := 0; i < attempt && d < float64(b.Max); i++ {
		d *= b.Multiplier
	}
	d = min(d, float64(b.Max))
	return time.Duration(d * (1 - b.Jitter*r))
}

// ReconnectConfig drives Reconnect.
type ReconnectConfig struct {
	URL    string
	Header http.Header
	// Backoff spaces the attempts, including the first one after a session
	// ends, so clients closed together (1012) come back spread out.
	Backoff Backoff
	// MaxAttempts bounds consecutive failed dials (0: until ctx ends).
	MaxAttempts int
	// Dial replaces Dial (tests, chosen source addresses).
	Dial func(ctx context.Context, url string, hdr http.Header) (*Conn, error)
}

// ErrStop, returned by a session, ends Reconnect with a nil error.
var ErrStop = errors.New("stop reconnecting")

// Reconnect keeps one connection alive: it dials, runs session until the
// connection ends, and dials again after a jittered backoff. It returns nil
// when session returns ErrStop, ctx's error when ctx ends, or the last dial
// error after MaxAttempts consecutive failures.
func Reconnect(ctx context.Context, cfg ReconnectConfig, session func(ctx context.Context, c *Conn) error) error {
	dial := cfg.Dial
	if dial == nil {
		dial = Dial
	}
	failures := 0
	for {
		c, err := dial(ctx, cfg.URL, cfg.Header)
		if err == nil {
			failures = 0
			err = session(ctx, c)
			_ = c.Close()
			if errors.Is(err, ErrStop) {
				return nil
			}
		} else {
			failures++
			if cfg.MaxAttempts > 0 && failures >= cfg.MaxAttempts {
				return err
			}
		}
		if err := sleep(ctx, cfg.Backoff.Delay(max(failures-1, 0), rand.Float64())); err != nil {
			return err
		}
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
