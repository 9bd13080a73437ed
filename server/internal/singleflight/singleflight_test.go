package singleflight

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestDoReturnsResult(t *testing.T) {
	var g Group[int]
	errBoom := errors.New("boom")
	tests := []struct {
		name    string
		fn      func() (int, error)
		wantV   int
		wantErr error
	}{
		{"value", func() (int, error) { return 42, nil }, 42, nil},
		{"error", func() (int, error) { return 0, errBoom }, 0, errBoom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err, shared := g.Do("k", tt.fn)
			if v != tt.wantV || !errors.Is(err, tt.wantErr) || shared {
				t.Fatalf("got (%d, %v, %v); want (%d, %v, false)", v, err, shared, tt.wantV, tt.wantErr)
			}
		})
	}
}

// TestDoCoalesces starts 100 goroutines on one key while the first call is
// held: fn must run exactly once and everyone must get its value.
func TestDoCoalesces(t *testing.T) {
	var g Group[string]
	var calls atomic.Int32
	release := make(chan struct{})
	started := make(chan struct{})
	fn := func() (string, error) {
		if calls.Add(1) == 1 {
			close(started)
		}
		<-release
		return "v", nil
	}
	const n = 100
	var wg sync.WaitGroup
	var sharedCount atomic.Int32
	results := make([]string, n)
	wg.Add(1)
	go func() { // the leader
		defer wg.Done()
		v, _, shared := g.Do("key", fn)
		results[0] = v
		if shared {
			sharedCount.Add(1)
		}
	}()
	<-started
	for i := 1; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, _, shared := g.Do("key", fn)
			results[i] = v
			if shared {
				sharedCount.Add(1)
			}
		}()
	}
	waitFor(t, func() bool { return g.waiters("key") == n-1 })
	close(release)
	wg.Wait()
	if got := calls.Load(); got != 1 {
		t.Fatalf("got %d calls; want 1", got)
	}
	for i, v := range results {
		if v != "v" {
			t.Fatalf("result %d: got %q; want %q", i, v, "v")
		}
	}
	if got := sharedCount.Load(); got != n {
		t.Fatalf("got shared=true for %d callers; want %d", got, n)
	}
}

func TestDoDifferentKeysRunSeparately(t *testing.T) {
	var g Group[int]
	var calls atomic.Int32
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, _, _ := g.Do(string(rune('a'+i)), func() (int, error) { calls.Add(1); return i, nil })
			if v != i {
				t.Errorf("got %d; want %d", v, i)
			}
		}()
	}
	wg.Wait()
	if got := calls.Load(); got != 10 {
		t.Fatalf("got %d calls; want 10", got)
	}
}

func TestDoAfterFlightRunsAgain(t *testing.T) {
	var g Group[int]
	n := 0
	for range 3 {
		g.Do("k", func() (int, error) { n++; return n, nil })
	}
	if n != 3 {
		t.Fatalf("got %d calls; want 3", n)
	}
}

func TestDoPanicReleasesWaiters(t *testing.T) {
	var g Group[int]
	release := make(chan struct{})
	started := make(chan struct{})
	leaderDone := make(chan any, 1)
	go func() {
		defer func() { leaderDone <- recover() }()
		g.Do("k", func() (int, error) { close(started); <-release; panic("kaboom") })
	}()
	<-started
	waiterErr := make(chan error, 1)
	go func() {
		_, err, _ := g.Do("k", func() (int, error) { return 1, nil })
		waiterErr <- err
	}()
	waitFor(t, func() bool { return g.waiters("k") == 1 })
	close(release)
	if got := <-leaderDone; got != "kaboom" {
		t.Fatalf("leader: got panic %v; want kaboom", got)
	}
	var pe *PanicError
	if err := <-waiterErr; !errors.As(err, &pe) {
		t.Fatalf("waiter: got %v; want *PanicError", err)
	}
	// The key is free again.
	if v, err, _ := g.Do("k", func() (int, error) { return 7, nil }); v != 7 || err != nil {
		t.Fatalf("got (%d, %v); want (7, nil)", v, err)
	}
}

func TestDoContextCallerGivesUp(t *testing.T) {
	var g Group[int]
	release := make(chan struct{})
	var calls atomic.Int32
	fn := func() (int, error) { calls.Add(1); <-release; return 5, nil }
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err, _ := g.DoContext(ctx, "k", fn); errc <- err }()
	waitFor(t, func() bool { return calls.Load() == 1 })
	// A second caller joins the same flight.
	resc := make(chan int, 1)
	go func() { v, _, _ := g.DoContext(context.Background(), "k", fn); resc <- v }()
	waitFor(t, func() bool { return g.waiters("k") == 1 })
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v; want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancelled caller did not return")
	}
	close(release)
	if v := <-resc; v != 5 {
		t.Fatalf("got %d; want 5", v)
	}
	if got := calls.Load(); got != 1 {
		t.Fatalf("got %d calls; want 1", got)
	}
}

func TestForgetStartsNewFlight(t *testing.T) {
	var g Group[int]
	release := make(chan struct{})
	started := make(chan struct{})
	go g.Do("k", func() (int, error) { close(started); <-release; return 1, nil })
	<-started
	g.Forget("k")
	v, _, shared := g.Do("k", func() (int, error) { return 2, nil })
	close(release)
	if v != 2 || shared {
		t.Fatalf("got (%d, %v); want (2, false)", v, shared)
	}
}

// waiters reports how many callers joined key's current flight.
func (g *Group[V]) waiters(key string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c, ok := g.m[key]; ok {
		return c.dups
	}
	return -1
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

func BenchmarkDo(b *testing.B) {
	var g Group[int]
	fn := func() (int, error) { return 1, nil }
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			g.Do("k", fn)
		}
	})
}
