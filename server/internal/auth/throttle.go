package auth

import (
	"context"
	"sync"
	"time"
)

// Throttle counts failed logins per key (an account's email, a client
// address) and refuses a key after too many failures in a window. The memory
// implementation is per instance; a shared (Redis) one can satisfy the same
// interface later.
type Throttle interface {
	// Check answers 0 when key may try now, else how long it must wait.
	Check(ctx context.Context, key string) (time.Duration, error)
	// Failure records one failed attempt for key.
	Failure(ctx context.Context, key string) error
	// Reset forgets key's failures (after a successful login).
	Reset(ctx context.Context, key string) error
}

// Default throttle settings.
const (
	DefaultMaxFailures = 5                // failures per key per window
	DefaultWindow      = 15 * time.Minute // window length and lockout
	DefaultMaxKeys     = 100_000          // keys tracked in memory
)

// ThrottleConfig configures a MemoryThrottle. Zero fields take the defaults.
type ThrottleConfig struct {
	MaxFailures int           // failures allowed in Window; default 5
	Window      time.Duration // fixed window, also the lockout; default 15 min
	MaxKeys     int           // bound on tracked keys; default 100,000
}

// MemoryThrottle is a fixed-window failure counter held in process memory.
type MemoryThrottle struct {
	cfg ThrottleConfig
	now func() time.Time

	mu   sync.Mutex
	keys map[string]*window
}

type window struct {
	start    time.Time
	failures int
}

var _ Throttle = (*MemoryThrottle)(nil)

// NewMemoryThrottle returns a MemoryThrottle with cfg's settings.
func NewMemoryThrottle(cfg ThrottleConfig) *MemoryThrottle {
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = DefaultMaxFailures
	}
	if cfg.Window <= 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = DefaultMaxKeys
	}
	return &MemoryThrottle{cfg: cfg, now: time.Now, keys: make(map[string]*window)}
}

// Check implements Throttle.
func (t *MemoryThrottle) Check(_ context.Context, key string) (time.Duration, error) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	w := t.keys[key]
	if w == nil || now.Sub(w.start) >= t.cfg.Window {
		return 0, nil
	}
	if w.failures < t.cfg.MaxFailures {
		return 0, nil
	}
	return w.start.Add(t.cfg.Window).Sub(now), nil
}

// Failure implements Throttle.
func (t *MemoryThrottle) Failure(_ context.Context, key string) error {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	w := t.keys[key]
	if w == nil || now.Sub(w.start) >= t.cfg.Window {
		if w == nil && len(t.keys) >= t.cfg.MaxKeys {
			t.sweep(now)
		}
		w = &window{start: now}
		t.keys[key] = w
	}
	w.failures++
	return nil
}

// Reset implements Throttle.
func (t *MemoryThrottle) Reset(_ context.Context, key string) error {
	t.mu.Lock()
	delete(t.keys, key)
	t.mu.Unlock()
	return nil
}

// sweep drops expired windows; if none expired it drops arbitrary ones so
// the map stays bounded (an attacker spraying keys loses precision, not
// memory).
func (t *MemoryThrottle) sweep(now time.Time) {
	for k, w := range t.keys {
		if now.Sub(w.start) >= t.cfg.Window {
			delete(t.keys, k)
		}
	}
	for k := range t.keys {
		if len(t.keys) < t.cfg.MaxKeys {
			break
		}
		delete(t.keys, k)
	}
}
