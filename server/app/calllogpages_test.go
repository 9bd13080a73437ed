package app

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestCallLogPages(t *testing.T) {
	ctx := context.Background()
	var loads atomic.Int32
	load := func(v string) func(context.Context) ([]byte, error) {
		return func(context.Context) ([]byte, error) { loads.Add(1); return []byte(v), nil }
	}
	c := newCallLogPages(time.Hour)
	k := pageKey("org", "", 20)
	for i, want := range []string{"v1", "v1"} { // the second call is served from memory
		if b, err := c.get(ctx, "org", k, load("v1")); err != nil || string(b) != want {
			t.Fatalf("get %d = %q, %v; want %q", i, b, err, want)
		}
	}
	if n := loads.Load(); n != 1 {
		t.Errorf("loads = %d; want 1", n)
	}
	c.bump("other") // another organization's call changes nothing here
	if b, _ := c.get(ctx, "org", k, load("v2")); string(b) != "v1" {
		t.Errorf("after another org's bump: got %q; want v1", b)
	}
	c.bump("org")
	if b, _ := c.get(ctx, "org", k, load("v2")); string(b) != "v2" {
		t.Errorf("after bump: got %q; want v2 (reloaded)", b)
	}
	if b, _ := c.get(ctx, "org", pageKey("org", "", 50), load("v3")); string(b) != "v3" {
		t.Errorf("another limit: got %q; want v3 (own entry)", b)
	}
	if n := loads.Load(); n != 3 {
		t.Errorf("loads = %d; want 3", n)
	}
}

// A load that began before a call landed must not be stored: its page may
// miss the call.
func TestCallLogPagesLoadRacingBump(t *testing.T) {
	ctx := context.Background()
	c := newCallLogPages(time.Hour)
	k := pageKey("org", "", 20)
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan []byte)
	go func() {
		b, _ := c.get(ctx, "org", k, func(context.Context) ([]byte, error) {
			close(started)
			<-release
			return []byte("before"), nil
		})
		done <- b
	}()
	<-started
	c.bump("org")
	// A reader after the bump does not join the older load.
	if b, _ := c.get(ctx, "org", k, func(context.Context) ([]byte, error) { return []byte("after"), nil }); string(b) != "after" {
		t.Errorf("read after bump = %q; want after", b)
	}
	close(release)
	if b := <-done; string(b) != "before" {
		t.Errorf("racing load answered %q; want before (its own result)", b)
	}
	if b, _ := c.get(ctx, "org", k, func(context.Context) ([]byte, error) { return []byte("fresh"), nil }); string(b) != "after" {
		t.Errorf("stored page = %q; want after (the stale load was not stored)", b)
	}
}

func TestCallLogPagesCoalescesAndExpires(t *testing.T) {
	ctx := context.Background()
	c := newCallLogPages(50 * time.Millisecond)
	k := pageKey("org", "a", 20)
	var loads atomic.Int32
	gate := make(chan struct{})
	load := func(context.Context) ([]byte, error) { loads.Add(1); <-gate; return []byte("v"), nil }
	var wg sync.WaitGroup
	get := func() { defer wg.Done(); _, _ = c.get(ctx, "org", k, load) }
	wg.Add(1)
	go get()
	deadline := time.Now().Add(5 * time.Second)
	for loads.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	for range 7 { // they join the running load (or, if late, find its page)
		wg.Add(1)
		go get()
	}
	time.Sleep(20 * time.Millisecond) // no observable "joined" state: give them time to join
	close(gate)
	wg.Wait()
	if n := loads.Load(); n != 1 {
		t.Fatalf("loads = %d; want 1 (concurrent misses share one load)", n)
	}
	before := loads.Load()
	deadline = time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) { // after the TTL the page is loaded again
		if _, err := c.get(ctx, "org", k, func(context.Context) ([]byte, error) { loads.Add(1); return []byte("v"), nil }); err != nil {
			t.Fatal(err)
		}
		if loads.Load() > before {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if loads.Load() == before {
		t.Error("page never reloaded after its TTL")
	}
}

func TestCallLogPagesErrorsAndDisabled(t *testing.T) {
	ctx := context.Background()
	c := newCallLogPages(time.Hour)
	k := pageKey("org", "", 20)
	boom := errors.New("boom")
	if _, err := c.get(ctx, "org", k, func(context.Context) ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("get = %v; want boom", err)
	}
	if b, _ := c.get(ctx, "org", k, func(context.Context) ([]byte, error) { return []byte("ok"), nil }); string(b) != "ok" {
		t.Errorf("after an error: got %q; want ok (errors are not cached)", b)
	}
	off := newCallLogPages(-1)
	var loads int
	for range 3 {
		_, _ = off.get(ctx, "org", k, func(context.Context) ([]byte, error) { loads++; return []byte("x"), nil })
	}
	off.bump("org")
	if loads != 3 {
		t.Errorf("disabled: loads = %d; want 3", loads)
	}
}

func TestCallLogPagesBounded(t *testing.T) {
	ctx := context.Background()
	c := newCallLogPages(time.Hour)
	big := make([]byte, callLogPagesMaxBytes/3+1)
	for i := range 5 {
		k := pageKey("org", "", i+1)
		if _, err := c.get(ctx, "org", k, func(context.Context) ([]byte, error) { return big, nil }); err != nil {
			t.Fatal(err)
		}
		if c.size > callLogPagesMaxBytes || c.size != len(c.m)*len(big) {
			t.Fatalf("after %d pages: size %d with %d entries; want at most %d bytes, counted exactly", i+1, c.size, len(c.m), callLogPagesMaxBytes)
		}
	}
	for i := range callLogPagesMax + 10 {
		c.bump(strconv.Itoa(i))
	}
	if len(c.gens) > callLogPagesMax || len(c.m) != 0 || c.epoch != 1 {
		t.Errorf("after many organizations: %d gens, %d pages, epoch %d; want at most %d gens, pages dropped, epoch 1", len(c.gens), len(c.m), c.epoch, callLogPagesMax)
	}
}
