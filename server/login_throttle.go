package server

import (
	"context"
	"time"
)

// LoginThrottle limits password guessing. Every login attempt is counted
// before its password is verified (one atomic step that counts and decides),
// so parallel attempts cannot outrun the limit. There are two limits, both
// with back-off rather than a lockout:
//
//   - per client address (all accounts): PerAddress attempts in a window,
//     then the address waits Backoff, doubling with each further attempt up
//     to MaxBackoff;
//   - per account (all addresses): PerAccount attempts, then the same
//     back-off, which refuses only addresses that have already tried this
//     account without success; an address with no failed attempt on the
//     account still gets its try. So an attacker hammering an account from
//     one address cannot lock its owner out, and a distributed attacker gets
//     one attempt per fresh address while the account backs off.
//
// A success forgets the address's failures on that account and gives the
// attempt back to the address and account counters. A key is forgotten
// Window after its last counted attempt (or its back-off, if later).
type LoginThrottle interface {
	// Attempt counts one login attempt at account from addr. It answers 0
	// when the password may be checked, else how long the caller must wait
	// (the attempt is then not counted).
	Attempt(ctx context.Context, account, addr string) (time.Duration, error)
	// Succeeded records that an attempt Attempt allowed was the right
	// password.
	Succeeded(ctx context.Context, account, addr string) error
}

// Default login limits.
const (
	DefaultLoginPerAccount  = 5                // attempts per account before back-off
	DefaultLoginPerAddress  = 20               // attempts per client address before back-off
	DefaultLoginWindow      = 15 * time.Minute // a key is forgotten this long after its last attempt
	DefaultLoginBackoff     = time.Minute      // first refusal period; doubles with each attempt over a limit
	DefaultLoginMaxBackoff  = time.Hour        // longest refusal period
	loginMaxBackoffDoubling = 30               // bound of the exponent
)

// LoginLimits configures a LoginThrottle. Zero fields take the defaults.
type LoginLimits struct {
	PerAccount int           // attempts; default 5
	PerAddress int           // attempts; default 20
	Window     time.Duration // default 15 min
	Backoff    time.Duration // default 1 min
	MaxBackoff time.Duration // default 1 h
}

// WithDefaults answers l with zero fields set to the defaults.
func (l LoginLimits) WithDefaults() LoginLimits {
	set := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	setD := func(p *time.Duration, v time.Duration) {
		if *p <= 0 {
			*p = v
		}
	}
	set(&l.PerAccount, DefaultLoginPerAccount)
	set(&l.PerAddress, DefaultLoginPerAddress)
	setD(&l.Window, DefaultLoginWindow)
	setD(&l.Backoff, DefaultLoginBackoff)
	setD(&l.MaxBackoff, DefaultLoginMaxBackoff)
	l.MaxBackoff = max(l.MaxBackoff, l.Backoff)
	return l
}

// BackoffAfter answers the refusal period once a key has been attempted n
// times against limit (n >= limit): Backoff for the limit-th attempt,
// doubling with each one after, at most MaxBackoff.
func (l LoginLimits) BackoffAfter(n, limit int) time.Duration {
	k := min(n-limit, loginMaxBackoffDoubling)
	if k < 0 {
		return 0
	}
	d := l.Backoff << k
	if d <= 0 || d > l.MaxBackoff {
		return l.MaxBackoff
	}
	return d
}
