// Package cachetest is the contract every server.Cache provider passes (the
// memory cache, the Redis cache). Call Run from the provider's tests with a
// constructor that returns a fresh cache per call.
//
// The suite is safe against a shared, real backend: every key it writes
// starts with a random per-run prefix, it never flushes anything, and it
// deletes what it wrote. Timing: entries are written with TTLs of 200 ms and
// waited on with deadlines of several seconds, so a backend with
// millisecond-precise expiry (Redis PX) passes; presence right after a Set is
// asserted only when the check ran well within the TTL.
package cachetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// shortTTL is the TTL used by the expiry tests.
const shortTTL = 200 * time.Millisecond

// waitLimit bounds every wait for a condition.
const waitLimit = 5 * time.Second

// Run runs the contract against caches made by newCache. newCache is called
// once per subtest; it should register any cleanup (closing clients) with
// tb.Cleanup. If the cache implements server.CacheStatser its counters are
// checked too (as differences, so they need not start at zero).
func Run(t *testing.T, newCache func(t testing.TB) server.Cache) {
	tests := []struct {
		name string
		fn   func(t *testing.T, c server.Cache, p string)
	}{
		{"Miss", testMiss},
		{"SetGet", testSetGet},
		{"Overwrite", testOverwrite},
		{"Delete", testDelete},
		{"TTLExpiry", testTTLExpiry},
		{"DefaultTTL", testDefaultTTL},
		{"BinaryValues", testBinaryValues},
		{"LargeValue", testLargeValue},
		{"SetCopiesValue", testSetCopiesValue},
		{"Concurrent", testConcurrent},
		{"Stats", testStats},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCache(t)
			p := prefix(t)
			tt.fn(t, c, p)
		})
	}
}

// prefix returns a random key prefix for one subtest.
func prefix(t testing.TB) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "cachetest:" + hex.EncodeToString(b[:]) + ":"
}

// MustSet sets key or fails the test.
func MustSet(tb testing.TB, c server.Cache, key string, v []byte, ttl time.Duration) {
	tb.Helper()
	if err := c.Set(context.Background(), key, v, ttl); err != nil {
		tb.Fatalf("Set(%q): %v", key, err)
	}
	tb.Cleanup(func() { _ = c.Delete(context.Background(), key) })
}

// MustGet gets key or fails the test on an error.
func MustGet(tb testing.TB, c server.Cache, key string) ([]byte, bool) {
	tb.Helper()
	v, ok, err := c.Get(context.Background(), key)
	if err != nil {
		tb.Fatalf("Get(%q): %v", key, err)
	}
	return v, ok
}

func wantValue(tb testing.TB, c server.Cache, key string, want []byte) {
	tb.Helper()
	v, ok := MustGet(tb, c, key)
	if !ok {
		tb.Fatalf("Get(%q): got miss; want %d bytes", key, len(want))
	}
	if !bytes.Equal(v, want) {
		tb.Fatalf("Get(%q): got %q; want %q", key, clip(v), clip(want))
	}
}

func wantMiss(tb testing.TB, c server.Cache, key string) {
	tb.Helper()
	if v, ok := MustGet(tb, c, key); ok || v != nil {
		tb.Fatalf("Get(%q): got (%q, %v); want (nil, false)", key, clip(v), ok)
	}
}

func clip(b []byte) string {
	if len(b) > 32 {
		return fmt.Sprintf("%q...(%d bytes)", b[:32], len(b))
	}
	return string(b)
}

func testMiss(t *testing.T, c server.Cache, p string) { wantMiss(t, c, p+"absent") }

func testSetGet(t *testing.T, c server.Cache, p string) {
	tests := []struct {
		key string
		val []byte
	}{
		{p + "a", []byte("alpha")},
		{p + "b", []byte(`{"id":"b","n":1}`)},
		{p + "empty", []byte{}},
		{p + "ünïcode key/with:colons", []byte("ok")},
	}
	for _, tt := range tests {
		MustSet(t, c, tt.key, tt.val, time.Minute)
	}
	for _, tt := range tests {
		wantValue(t, c, tt.key, tt.val)
	}
}

func testOverwrite(t *testing.T, c server.Cache, p string) {
	MustSet(t, c, p+"k", []byte("first"), time.Minute)
	MustSet(t, c, p+"k", []byte("second, longer"), time.Minute)
	wantValue(t, c, p+"k", []byte("second, longer"))
	MustSet(t, c, p+"k", []byte("3"), time.Minute)
	wantValue(t, c, p+"k", []byte("3"))
}

func testDelete(t *testing.T, c server.Cache, p string) {
	ctx := context.Background()
	for _, k := range []string{"a", "b", "c"} {
		MustSet(t, c, p+k, []byte(k), time.Minute)
	}
	if err := c.Delete(ctx, p+"a", p+"b", p+"missing"); err != nil {
		t.Fatalf("Delete: got %v; want nil (missing keys are not an error)", err)
	}
	wantMiss(t, c, p+"a")
	wantMiss(t, c, p+"b")
	wantValue(t, c, p+"c", []byte("c"))
	if err := c.Delete(ctx, p+"never-set"); err != nil {
		t.Fatalf("Delete(missing): got %v; want nil", err)
	}
	if err := c.Delete(ctx); err != nil {
		t.Fatalf("Delete(): got %v; want nil", err)
	}
}

// testTTLExpiry: an entry with a short TTL disappears within the deadline; an
// entry overwritten with the default TTL does not expire with its old TTL.
func testTTLExpiry(t *testing.T, c server.Cache, p string) {
	start := time.Now()
	MustSet(t, c, p+"short", []byte("x"), shortTTL)
	MustSet(t, c, p+"renewed", []byte("old"), shortTTL)
	MustSet(t, c, p+"renewed", []byte("new"), 0)
	v, ok := MustGet(t, c, p+"short")
	if time.Since(start) < shortTTL/2 && (!ok || string(v) != "x") {
		t.Fatalf("Get right after Set: got (%q, %v); want (x, true)", v, ok)
	}
	deadline := time.Now().Add(waitLimit)
	for {
		if _, ok := MustGet(t, c, p+"short"); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("entry with TTL %v still present after %v", shortTTL, time.Since(start))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if el := time.Since(start); el < shortTTL-10*time.Millisecond {
		t.Fatalf("entry expired after %v; want no earlier than its TTL %v", el, shortTTL)
	}
	wantValue(t, c, p+"renewed", []byte("new"))
}

func testDefaultTTL(t *testing.T, c server.Cache, p string) {
	MustSet(t, c, p+"zero", []byte("z"), 0)
	MustSet(t, c, p+"negative", []byte("n"), -time.Second)
	wantValue(t, c, p+"zero", []byte("z"))
	wantValue(t, c, p+"negative", []byte("n"))
}

func testBinaryValues(t *testing.T, c server.Cache, p string) {
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	tests := map[string][]byte{
		"all-bytes": all,
		"nul":       {0, 0, 0},
		"invalid":   {0xff, 0xfe, 0x00, 0xc3, 0x28},
		"crlf":      []byte("a\r\nb\r\n"),
	}
	for name, v := range tests {
		MustSet(t, c, p+name, v, time.Minute)
	}
	for name, v := range tests {
		wantValue(t, c, p+name, v)
	}
}

func testLargeValue(t *testing.T, c server.Cache, p string) {
	v := make([]byte, 1<<20)
	if _, err := rand.Read(v); err != nil {
		t.Fatal(err)
	}
	MustSet(t, c, p+"large", v, time.Minute)
	wantValue(t, c, p+"large", v)
}

// testSetCopiesValue: changing the caller's slice after Set must not change
// the cached value.
func testSetCopiesValue(t *testing.T, c server.Cache, p string) {
	v := []byte("original")
	MustSet(t, c, p+"k", v, time.Minute)
	copy(v, "XXXXXXXX")
	wantValue(t, c, p+"k", []byte("original"))
}

// testConcurrent hammers a few keys from several goroutines (meant for
// -race); every value read must be one some writer wrote for that key.
func testConcurrent(t *testing.T, c server.Cache, p string) {
	ctx := context.Background()
	const workers, ops, keys = 8, 200, 5
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ops {
				key := fmt.Sprintf("%sk%d", p, i%keys)
				var err error
				switch (w + i) % 4 {
				case 0, 1:
					err = c.Set(ctx, key, []byte(key+"|"+fmt.Sprint(w)), time.Minute)
				case 2:
					var v []byte
					var ok bool
					v, ok, err = c.Get(ctx, key)
					if err == nil && ok && !bytes.HasPrefix(v, []byte(key+"|")) {
						err = fmt.Errorf("Get(%q): got %q; want a value written for that key", key, v)
					}
				case 3:
					err = c.Delete(ctx, key)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	keyList := make([]string, keys)
	for i := range keys {
		keyList[i] = fmt.Sprintf("%sk%d", p, i)
	}
	if err := c.Delete(ctx, keyList...); err != nil {
		t.Fatal(err)
	}
}

// testStats checks hit and miss counters on providers with CacheStats.
func testStats(t *testing.T, c server.Cache, p string) {
	s, ok := c.(server.CacheStatser)
	if !ok {
		t.Skip("provider has no CacheStats")
	}
	before := s.CacheStats()
	MustSet(t, c, p+"k", []byte("v"), time.Minute)
	wantMiss(t, c, p+"absent")
	wantValue(t, c, p+"k", []byte("v"))
	wantValue(t, c, p+"k", []byte("v"))
	after := s.CacheStats()
	hits := (after.LocalHits + after.RemoteHits) - (before.LocalHits + before.RemoteHits)
	if hits != 2 {
		t.Errorf("hits: got %d; want 2", hits)
	}
	if misses := after.Misses - before.Misses; misses != 1 {
		t.Errorf("misses: got %d; want 1", misses)
	}
	if after.Entries < 0 {
		t.Errorf("entries: got %d; want >= 0", after.Entries)
	}
	if pg, ok := c.(server.Pinger); ok {
		if err := pg.Ping(context.Background()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
		if again := s.CacheStats(); again.LocalHits+again.RemoteHits != after.LocalHits+after.RemoteHits || again.Misses != after.Misses {
			t.Errorf("Ping changed hit/miss counters: got %+v; want %+v", again, after)
		}
	}
}
