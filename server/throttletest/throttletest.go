// Package throttletest is the contract every server.LoginThrottle provider
// passes (memory, Redis). Call Run from the provider's tests with a
// constructor that returns a throttle with the given limits.
//
// The suite is safe against a shared, real backend: every test uses random
// account and address names. Timing: back-offs of 150-1200 ms.
package throttletest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// New makes a throttle with lim for one test.
type New func(tb testing.TB, lim server.LoginLimits) server.LoginThrottle

// Run runs the contract against throttles made by newThrottle.
func Run(t *testing.T, newThrottle New) {
	tests := []struct {
		name string
		fn   func(t *testing.T, newThrottle New)
	}{
		{"ParallelAttempts", testParallel},
		{"PerAddress", testPerAddress},
		{"OtherAddressGetsIn", testOtherAddress},
		{"SuccessResets", testSuccessResets},
		{"Backoff", testBackoff},
		{"Forgotten", testForgotten},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newThrottle) })
	}
}

// Name returns a random name with prefix p.
func Name(tb testing.TB, p string) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	return p + hex.EncodeToString(b[:])
}

// MustAttempt answers th.Attempt's wait or fails the test.
func MustAttempt(tb testing.TB, th server.LoginThrottle, account, addr string) time.Duration {
	tb.Helper()
	d, err := th.Attempt(context.Background(), account, addr)
	if err != nil {
		tb.Fatalf("Attempt(%s, %s): %v", account, addr, err)
	}
	return d
}

// allowedOf makes n attempts and answers how many were allowed.
func allowedOf(tb testing.TB, th server.LoginThrottle, n int, account, addr string) int {
	tb.Helper()
	ok := 0
	for range n {
		if MustAttempt(tb, th, account, addr) == 0 {
			ok++
		}
	}
	return ok
}

// testParallel: 30 attempts at once on one account from one address: exactly
// the limit is allowed, every refusal says how long to wait.
func testParallel(t *testing.T, newThrottle New) {
	lim := server.LoginLimits{PerAccount: 5, PerAddress: 100, Backoff: time.Minute}
	th := newThrottle(t, lim)
	acct, addr := Name(t, "acct-"), Name(t, "addr-")
	var wg sync.WaitGroup
	waits := make([]time.Duration, 30)
	errs := make([]error, 30)
	for i := range waits {
		wg.Add(1)
		go func() {
			defer wg.Done()
			waits[i], errs[i] = th.Attempt(context.Background(), acct, addr)
		}()
	}
	wg.Wait()
	allowed := 0
	for i, w := range waits {
		if errs[i] != nil {
			t.Fatalf("Attempt: %v", errs[i])
		}
		if w == 0 {
			allowed++
		} else if w > lim.Backoff {
			t.Errorf("refusal wait = %v; want in (0, %v]", w, lim.Backoff)
		}
	}
	if allowed != lim.PerAccount {
		t.Fatalf("30 parallel attempts: got %d allowed; want %d", allowed, lim.PerAccount)
	}
}

// testPerAddress: one address spraying accounts is stopped at PerAddress;
// another address is not.
func testPerAddress(t *testing.T, newThrottle New) {
	th := newThrottle(t, server.LoginLimits{PerAccount: 100, PerAddress: 4})
	addr := Name(t, "addr-")
	ok := 0
	for range 10 {
		if MustAttempt(t, th, Name(t, "acct-"), addr) == 0 {
			ok++
		}
	}
	if ok != 4 {
		t.Fatalf("10 accounts from one address: got %d allowed; want 4", ok)
	}
	if d := MustAttempt(t, th, Name(t, "acct-"), Name(t, "addr-")); d != 0 {
		t.Fatalf("another address: got wait %v; want 0", d)
	}
}

// testOtherAddress: an account hammered from one address still lets its
// owner in from another address; the hammering address stays refused.
func testOtherAddress(t *testing.T, newThrottle New) {
	th := newThrottle(t, server.LoginLimits{PerAccount: 3, PerAddress: 100})
	acct, bad, good := Name(t, "acct-"), Name(t, "attacker-"), Name(t, "owner-")
	if got := allowedOf(t, th, 20, acct, bad); got != 3 {
		t.Fatalf("20 attempts from one address: got %d allowed; want 3", got)
	}
	if d := MustAttempt(t, th, acct, good); d != 0 {
		t.Fatalf("owner from a fresh address while the account backs off: got wait %v; want 0", d)
	}
	if err := th.Succeeded(context.Background(), acct, good); err != nil {
		t.Fatalf("Succeeded: %v", err)
	}
	if d := MustAttempt(t, th, acct, good); d != 0 {
		t.Fatalf("owner again after a success: got wait %v; want 0", d)
	}
	if d := MustAttempt(t, th, acct, bad); d == 0 {
		t.Fatal("attacker's address after the owner's success: got allowed; want refused")
	}
}

// testSuccessResets: a success forgets the address's failures on the
// account and gives its attempt back.
func testSuccessResets(t *testing.T, newThrottle New) {
	th := newThrottle(t, server.LoginLimits{PerAccount: 3, PerAddress: 100})
	acct, addr := Name(t, "acct-"), Name(t, "addr-")
	if got := allowedOf(t, th, 2, acct, addr); got != 2 {
		t.Fatalf("first 2 attempts: got %d allowed; want 2", got)
	}
	if err := th.Succeeded(context.Background(), acct, addr); err != nil {
		t.Fatalf("Succeeded: %v", err)
	}
	if got := allowedOf(t, th, 5, acct, addr); got != 2 {
		t.Fatalf("attempts after a success (limit 3, one failure left): got %d allowed; want 2", got)
	}
}

// testBackoff: past the limit, one attempt is allowed per back-off period,
// which doubles up to MaxBackoff.
func testBackoff(t *testing.T, newThrottle New) {
	lim := server.LoginLimits{PerAccount: 2, PerAddress: 100, Backoff: 150 * time.Millisecond, MaxBackoff: 600 * time.Millisecond}
	th := newThrottle(t, lim)
	acct, addr := Name(t, "acct-"), Name(t, "addr-")
	if got := allowedOf(t, th, 2, acct, addr); got != 2 {
		t.Fatalf("first attempts: got %d allowed; want 2", got)
	}
	bounds := []struct{ lo, hi time.Duration }{
		{0, 150 * time.Millisecond},
		{150 * time.Millisecond, 300 * time.Millisecond},
		{300 * time.Millisecond, 600 * time.Millisecond},
		{300 * time.Millisecond, 600 * time.Millisecond}, // capped
	}
	for i, b := range bounds {
		w := MustAttempt(t, th, acct, addr)
		if w <= b.lo || w > b.hi {
			t.Fatalf("refusal %d: got wait %v; want in (%v, %v]", i+1, w, b.lo, b.hi)
		}
		time.Sleep(w + 20*time.Millisecond)
		if d := MustAttempt(t, th, acct, addr); d != 0 {
			t.Fatalf("after waiting %v (refusal %d): got wait %v; want one attempt allowed", w, i+1, d)
		}
	}
}

// testForgotten: a key is forgotten Window after its last attempt.
func testForgotten(t *testing.T, newThrottle New) {
	lim := server.LoginLimits{PerAccount: 2, PerAddress: 100, Window: 300 * time.Millisecond, Backoff: 100 * time.Millisecond}
	th := newThrottle(t, lim)
	acct, addr := Name(t, "acct-"), Name(t, "addr-")
	if got := allowedOf(t, th, 3, acct, addr); got != 2 {
		t.Fatalf("first attempts: got %d allowed; want 2", got)
	}
	time.Sleep(lim.Window + lim.Backoff + 100*time.Millisecond)
	if got := allowedOf(t, th, 3, acct, addr); got != 2 {
		t.Fatalf("after the window: got %d allowed; want 2 (counters forgotten)", got)
	}
}

// BenchmarkAttempt measures th.Attempt over 1,024 accounts and 256
// addresses: the cost a login pays before its password check. th must allow
// every attempt (limits of 1 << 30).
func BenchmarkAttempt(b *testing.B, th server.LoginThrottle) {
	accts, addrs := make([]string, 1024), make([]string, 1024)
	for i := range accts {
		accts[i], addrs[i] = "user"+strconv.Itoa(i)+"@example.com", "203.0.113."+strconv.Itoa(i%256)
	}
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := th.Attempt(ctx, accts[i%1024], addrs[i%1024]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
