package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// DefaultMaxKeys bounds the keys a MemoryThrottle tracks.
const DefaultMaxKeys = 100_000

// MemoryThrottle is the server.LoginThrottle of one process: the rules of
// server.LoginThrottle, counted under one mutex. A cluster of workers or
// instances needs the shared (Redis) one, or each process allows the limit.
type MemoryThrottle struct {
	lim     server.LoginLimits
	maxKeys int
	now     func() time.Time

	mu   sync.Mutex
	keys map[string]*counter
}

// counter is one throttle key: attempts counted, refused until, forgotten at.
type counter struct {
	n     int
	until int64 // unix ns
	exp   int64 // unix ns
}

var _ server.LoginThrottle = (*MemoryThrottle)(nil)

// NewMemoryThrottle returns a MemoryThrottle with lim (zero fields take the
// defaults) tracking at most maxKeys keys (<= 0: DefaultMaxKeys).
func NewMemoryThrottle(lim server.LoginLimits, maxKeys int) *MemoryThrottle {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	return &MemoryThrottle{lim: lim.WithDefaults(), maxKeys: maxKeys, now: time.Now, keys: make(map[string]*counter)}
}

// ThrottleKeys answers the address, account and pair keys of an attempt;
// long values are replaced by a digest so keys stay small.
func ThrottleKeys(account, addr string) (a, u, p string) {
	account, addr = shortKey(account), shortKey(addr)
	return "a:" + addr, "u:" + account, "p:" + account + "|" + addr
}

func shortKey(s string) string {
	if len(s) <= 64 {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return "#" + base64.RawURLEncoding.EncodeToString(sum[:18])
}

// Attempt implements server.LoginThrottle.
func (t *MemoryThrottle) Attempt(_ context.Context, account, addr string) (time.Duration, error) {
	ka, ku, kp := ThrottleKeys(account, addr)
	now := t.now().UnixNano()
	t.mu.Lock()
	defer t.mu.Unlock()
	a, u, p := t.get(ka, now), t.get(ku, now), t.get(kp, now)
	if a != nil && now < a.until {
		return time.Duration(a.until - now), nil
	}
	if u != nil && now < u.until && p != nil && p.n > 0 {
		return time.Duration(u.until - now), nil
	}
	t.count(ka, a, t.lim.PerAddress, now)
	t.count(ku, u, t.lim.PerAccount, now)
	t.count(kp, p, 0, now)
	return 0, nil
}

// Succeeded implements server.LoginThrottle.
func (t *MemoryThrottle) Succeeded(_ context.Context, account, addr string) error {
	ka, ku, kp := ThrottleKeys(account, addr)
	now := t.now().UnixNano()
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.keys, kp)
	refund(t.get(ka, now), t.lim.PerAddress)
	refund(t.get(ku, now), t.lim.PerAccount)
	return nil
}

// get answers the live counter of key, nil when absent or forgotten.
func (t *MemoryThrottle) get(key string, now int64) *counter {
	c := t.keys[key]
	if c == nil || now >= c.exp {
		return nil
	}
	return c
}

// count adds one attempt to key (c: its live counter or nil), starting the
// back-off once limit (> 0) is reached.
func (t *MemoryThrottle) count(key string, c *counter, limit int, now int64) {
	if c == nil {
		if len(t.keys) >= t.maxKeys {
			t.sweep(now)
		}
		c = &counter{}
		t.keys[key] = c
	}
	c.n++
	if limit > 0 && c.n >= limit {
		c.until = now + int64(t.lim.BackoffAfter(c.n, limit))
	}
	c.exp = now + int64(t.lim.Window) + max(0, c.until-now)
}

// refund gives one attempt back after a success; below the limit the key
// is no longer refused.
func refund(c *counter, limit int) {
	if c == nil {
		return
	}
	c.n = max(0, c.n-1)
	if c.n < limit {
		c.until = 0
	}
}

// sweep drops forgotten keys; if none were, it drops arbitrary ones so the
// map stays bounded (an attacker spraying keys loses precision, not
// memory).
func (t *MemoryThrottle) sweep(now int64) {
	for k, c := range t.keys {
		if now >= c.exp {
			delete(t.keys, k)
		}
	}
	for k := range t.keys {
		if len(t.keys) < t.maxKeys {
			break
		}
		delete(t.keys, k)
	}
}
