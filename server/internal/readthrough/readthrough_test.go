package readthrough

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// mapCache is a small hand-written Cache fake that records TTLs and can be
// told to fail.
type mapCache struct {
	mu      sync.Mutex
	m       map[string][]byte
	ttls    map[string]time.Duration
	failGet bool
	failSet bool
	failDel bool
	gets    atomic.Int32
}

func newMapCache() *mapCache {
	return &mapCache{m: map[string][]byte{}, ttls: map[string]time.Duration{}}
}

var errDown = server.Errorf(server.EUNAVAILABLE, "cache down")

func (c *mapCache) Get(_ context.Context, key string) ([]byte, bool, error) {
	c.gets.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failGet {
		return nil, false, errDown
	}
	v, ok := c.m[key]
	return v, ok, nil
}

func (c *mapCache) Set(_ context.Context, key string, v []byte, ttl time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failSet {
		return errDown
	}
	c.m[key] = v
	c.ttls[key] = ttl
	return nil
}

func (c *mapCache) Delete(_ context.Context, keys ...string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failDel {
		return errDown
	}
	for _, k := range keys {
		delete(c.m, k)
	}
	return nil
}

func (c *mapCache) stored(key string) ([]byte, time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	return v, c.ttls[key], ok
}

func TestGetMissLoadsAndStoresWithTTL(t *testing.T) {
	c := newMapCache()
	g := New(c)
	var loads atomic.Int32
	load := func(context.Context) ([]byte, error) { loads.Add(1); return []byte("v1"), nil }
	for i := range 3 {
		v, err := g.Get(context.Background(), "k", 7*time.Minute, load)
		if err != nil || string(v) != "v1" {
			t.Fatalf("get %d: got (%q, %v); want (v1, nil)", i, v, err)
		}
	}
	if got := loads.Load(); got != 1 {
		t.Fatalf("got %d loads; want 1 (later gets are hits)", got)
	}
	v, ttl, ok := c.stored("k")
	if !ok || string(v) != "v1" || ttl != 7*time.Minute {
		t.Fatalf("got stored (%q, %v, %v); want (v1, 7m0s, true)", v, ttl, ok)
	}
	if g.Errors() != 0 || g.Loads() != 1 {
		t.Fatalf("got errors=%d loads=%d; want 0 and 1", g.Errors(), g.Loads())
	}
}

// TestGetConcurrentMissesLoadOnce: 100 goroutines miss on one key while the
// load is held; exactly one load runs and everyone gets its value.
func TestGetConcurrentMissesLoadOnce(t *testing.T) {
	c := newMapCache()
	g := New(c)
	var loads atomic.Int32
	release := make(chan struct{})
	load := func(context.Context) ([]byte, error) {
		loads.Add(1)
		<-release
		return []byte("payload"), nil
	}
	const n = 100
	var wg sync.WaitGroup
	var ready sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		ready.Add(1)
		go func() {
			defer wg.Done()
			ready.Done()
			v, err := g.Get(context.Background(), "hot", time.Minute, load)
			if err == nil && string(v) != "payload" {
				err = errors.New("got " + string(v) + "; want payload")
			}
			errs <- err
		}()
	}
	ready.Wait()
	// Every caller has missed the cache before the load may finish.
	waitFor(t, func() bool { return c.gets.Load() == n })
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := loads.Load(); got != 1 {
		t.Fatalf("got %d loads; want 1", got)
	}
}

func TestGetFailsOpen(t *testing.T) {
	tests := []struct {
		name             string
		failGet, failSet bool
		wantErrors       uint64
	}{
		{"get fails", true, false, 2}, // two gets fail; no set follows a failed get
		{"set fails", false, true, 2}, // two loads, both sets fail
		{"both fail", true, true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newMapCache()
			c.failGet, c.failSet = tt.failGet, tt.failSet
			g := New(c)
			var loads atomic.Int32
			load := func(context.Context) ([]byte, error) { loads.Add(1); return []byte("db"), nil }
			for range 2 {
				v, err := g.Get(context.Background(), "k", time.Minute, load)
				if err != nil || string(v) != "db" {
					t.Fatalf("got (%q, %v); want (db, nil)", v, err)
				}
			}
			if got := loads.Load(); got != 2 {
				t.Fatalf("got %d loads; want 2", got)
			}
			if got := g.Errors(); got != tt.wantErrors {
				t.Fatalf("got %d errors; want %d", got, tt.wantErrors)
			}
			if _, _, stored := c.stored("k"); stored {
				t.Fatal("got a value stored; want none (the cache failed)")
			}
		})
	}
}

func TestGetLoadErrorNotCached(t *testing.T) {
	c := newMapCache()
	g := New(c)
	errDB := server.Errorf(server.ENOTFOUND, "agent not found")
	_, err := g.Get(context.Background(), "k", time.Minute, func(context.Context) ([]byte, error) { return nil, errDB })
	if !errors.Is(err, errDB) {
		t.Fatalf("got %v; want %v", err, errDB)
	}
	if _, _, ok := c.stored("k"); ok {
		t.Fatal("got error result cached; want nothing stored")
	}
}

func TestGetCallerCancelDoesNotFailOthers(t *testing.T) {
	g := New(newMapCache())
	release := make(chan struct{})
	var loadCtxErr atomic.Value
	load := func(ctx context.Context) ([]byte, error) {
		<-release
		if ctx.Err() != nil {
			loadCtxErr.Store(ctx.Err())
		}
		return []byte("v"), nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() { _, err := g.Get(ctx, "k", 0, load); first <- err }()
	waitFor(t, func() bool { return g.Loads() == 1 })
	second := make(chan []byte, 1)
	go func() { v, _ := g.Get(context.Background(), "k", 0, load); second <- v }()
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("first caller: got %v; want context.Canceled", err)
	}
	close(release)
	if v := <-second; string(v) != "v" {
		t.Fatalf("second caller: got %q; want v", v)
	}
	if e := loadCtxErr.Load(); e != nil {
		t.Fatalf("load saw ctx error %v; want none (detached from the caller's cancel)", e)
	}
	if g.Loads() != 1 {
		t.Fatalf("got %d loads; want 1", g.Loads())
	}
}

func TestInvalidate(t *testing.T) {
	c := newMapCache()
	g := New(c)
	ver := "v1"
	load := func(context.Context) ([]byte, error) { return []byte(ver), nil }
	ctx := context.Background()
	if v, _ := g.Get(ctx, "k", 0, load); string(v) != "v1" {
		t.Fatalf("got %q; want v1", v)
	}
	ver = "v2"
	if err := g.Invalidate(ctx, "k", "other"); err != nil {
		t.Fatal(err)
	}
	if v, _ := g.Get(ctx, "k", 0, load); string(v) != "v2" {
		t.Fatalf("after invalidate: got %q; want v2", v)
	}
	c.failDel = true
	if err := g.Invalidate(ctx, "k"); server.ErrorCode(err) != server.EUNAVAILABLE {
		t.Fatalf("got %v; want an EUNAVAILABLE error", err)
	}
}

// TestInvalidateDuringLoadSkipsStaleSet: a load that started before a write
// must not store its (stale) value after the write's invalidation.
func TestInvalidateDuringLoadSkipsStaleSet(t *testing.T) {
	c := newMapCache()
	g := New(c)
	release := make(chan struct{})
	load := func(context.Context) ([]byte, error) { <-release; return []byte("stale"), nil }
	done := make(chan []byte, 1)
	go func() { v, _ := g.Get(context.Background(), "k", 0, load); done <- v }()
	waitFor(t, func() bool { return g.Loads() == 1 })
	if err := g.Invalidate(context.Background(), "k"); err != nil {
		t.Fatal(err)
	}
	close(release)
	if v := <-done; string(v) != "stale" {
		t.Fatalf("got %q; want the in-flight caller to get stale", v)
	}
	if v, _, ok := c.stored("k"); ok {
		t.Fatalf("got %q stored; want nothing stored after invalidation", v)
	}
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

func TestGetTTLStoresWithTheLoadersTTL(t *testing.T) {
	c := newMapCache()
	g := New(c)
	tests := []struct {
		key string
		v   string
		ttl time.Duration
	}{{"found", "v", 5 * time.Minute}, {"missing", "-", 3 * time.Second}}
	for _, tt := range tests {
		v, err := g.GetTTL(context.Background(), tt.key, func(context.Context) ([]byte, time.Duration, error) {
			return []byte(tt.v), tt.ttl, nil
		})
		if err != nil || string(v) != tt.v {
			t.Fatalf("GetTTL(%s) = (%q, %v); want (%q, nil)", tt.key, v, err, tt.v)
		}
		if got, ttl, ok := c.stored(tt.key); !ok || string(got) != tt.v || ttl != tt.ttl {
			t.Errorf("stored %s = (%q, %v, %v); want (%q, %v, true)", tt.key, got, ttl, ok, tt.v, tt.ttl)
		}
	}
	v, err := g.GetTTL(context.Background(), "found", func(context.Context) ([]byte, time.Duration, error) {
		t.Fatal("loader ran on a hit")
		return nil, 0, nil
	})
	if err != nil || string(v) != "v" {
		t.Errorf("GetTTL(found) again = (%q, %v); want the cached v", v, err)
	}
}
