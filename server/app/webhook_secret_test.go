package app

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSecretCache: a held secret is served without a load until its TTL
// passes; concurrent misses share one load; a load error is not kept.
func TestSecretCache(t *testing.T) {
	c := newSecretCache(100 * time.Millisecond)
	var loads atomic.Int64
	load := func() ([]byte, error) { loads.Add(1); time.Sleep(10 * time.Millisecond); return []byte("s3cret"), nil }
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s, err := c.fill("org", load); err != nil || string(s) != "s3cret" {
				t.Errorf("fill = (%q, %v); want s3cret", s, err)
			}
		}()
	}
	wg.Wait()
	if got := loads.Load(); got > 2 {
		t.Errorf("20 concurrent fills made %d loads; want 1 (2 at most if one came after the first ended)", got)
	}
	if s, ok := c.lookup("org"); !ok || string(s) != "s3cret" {
		t.Errorf("lookup after fill = (%q, %v); want s3cret", s, ok)
	}
	time.Sleep(150 * time.Millisecond)
	if _, ok := c.lookup("org"); ok {
		t.Errorf("lookup past the TTL hit; want a miss")
	}
	if _, err := c.fill("down", func() ([]byte, error) { return nil, errors.New("store down") }); err == nil {
		t.Errorf("fill with a failing load = nil error; want it")
	}
	if _, ok := c.lookup("down"); ok {
		t.Errorf("a failed load was kept")
	}
}
