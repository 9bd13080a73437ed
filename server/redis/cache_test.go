package redis_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/redis"
)

func newCache(tb testing.TB, cfg redis.Config) *redis.Cache {
	tb.Helper()
	return redis.NewCache(mustClient(tb, cfg), cfg)
}

func mustGet(tb testing.TB, c server.Cache, key string) ([]byte, bool) {
	tb.Helper()
	v, ok, err := c.Get(context.Background(), key)
	if err != nil {
		tb.Fatalf("Get(%q) = %v", key, err)
	}
	return v, ok
}

func mustSet(tb testing.TB, c server.Cache, key, val string) {
	tb.Helper()
	if err := c.Set(context.Background(), key, []byte(val), time.Minute); err != nil {
		tb.Fatalf("Set(%q) = %v", key, err)
	}
}

func TestCacheLocalHits(t *testing.T) {
	cfg := testConfig(t)
	c := newCache(t, cfg)
	if _, ok := mustGet(t, c, "k"); ok {
		t.Fatalf("Get(missing) ok = true; want false")
	}
	mustSet(t, c, "k", "v1")
	if v, ok := mustGet(t, c, "k"); !ok || string(v) != "v1" {
		t.Fatalf("Get = %q, %v; want v1, true", v, ok)
	}
	// Past the read-your-writes window, reads are served from memory.
	time.Sleep(1100 * time.Millisecond)
	mustGet(t, c, "k") // fills the local copy
	before := c.CacheStats()
	for range 100 {
		if v, ok := mustGet(t, c, "k"); !ok || string(v) != "v1" {
			t.Fatalf("Get = %q, %v; want v1, true", v, ok)
		}
	}
	st := c.CacheStats()
	if got := st.LocalHits - before.LocalHits; got != 100 {
		t.Errorf("local hits = %d; want 100 (stats %+v)", got, st)
	}
	if st.Entries < 1 || c.LocalBytes() <= 0 {
		t.Errorf("Entries = %d, LocalBytes = %d; want > 0", st.Entries, c.LocalBytes())
	}
	if st.Misses < 1 || st.RemoteHits < 1 {
		t.Errorf("stats = %+v; want misses and remote hits counted", st)
	}
}

func TestCacheReadsOwnWrites(t *testing.T) {
	c := newCache(t, testConfig(t))
	for i := range 200 {
		want := fmt.Sprint(i)
		mustSet(t, c, "k", want)
		if v, ok := mustGet(t, c, "k"); !ok || string(v) != want {
			t.Fatalf("Get after Set(%s) = %q, %v; want %s", want, v, ok, want)
		}
		if i%50 == 0 {
			if err := c.Delete(context.Background(), "k"); err != nil {
				t.Fatal(err)
			}
			if v, ok := mustGet(t, c, "k"); ok {
				t.Fatalf("Get after Delete = %q; want miss", v)
			}
		}
	}
}

// waitFor polls get until it answers want (ok=false for a miss) and returns
// how long that took, or fails after limit.
func waitFor(t *testing.T, c server.Cache, key, want string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		v, ok, err := c.Get(context.Background(), key)
		if err == nil && ((want == "" && !ok) || (ok && string(v) == want)) {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("Get(%q) = %q, %v, %v after %v; want %q", key, v, ok, err, limit, want)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// TestCacheCrossInstance: B holds a key in process memory; a write on A
// must be seen by B within 100 ms.
func TestCacheCrossInstance(t *testing.T) {
	cfg := testConfig(t)
	a, b := newCache(t, cfg), newCache(t, cfg)
	var worst time.Duration
	for i := range 20 {
		key := fmt.Sprint("agent:", i)
		mustSet(t, a, key, "old")
		mustGet(t, b, key)
		before := b.CacheStats().LocalHits
		if v, _ := mustGet(t, b, key); string(v) != "old" || b.CacheStats().LocalHits != before+1 {
			t.Fatalf("B.Get = %q local=%v; want old served from memory", v, b.CacheStats().LocalHits > before)
		}
		mustSet(t, a, key, "new")
		worst = max(worst, waitFor(t, b, key, "new", 100*time.Millisecond))
		if err := a.Delete(context.Background(), key); err != nil {
			t.Fatal(err)
		}
		worst = max(worst, waitFor(t, b, key, "", 100*time.Millisecond))
	}
	t.Logf("worst cross-instance visibility: %v (bound 100ms)", worst)
}

// TestCacheRedisDown: calls fail fast with EUNAVAILABLE while Redis is
// down, recover without a new Cache, and never serve a value cached before
// the outage.
func TestCacheRedisDown(t *testing.T) {
	srv := stack.NewRedisServer(t)
	cfg := redis.Config{Addr: srv.Addr, Prefix: "es_down:"}
	a, b := newCache(t, cfg), newCache(t, cfg)
	mustSet(t, a, "k", "before")
	time.Sleep(1100 * time.Millisecond) // past a's write window
	mustGet(t, b, "k")
	if v, _ := mustGet(t, b, "k"); string(v) != "before" || b.CacheStats().LocalHits == 0 {
		t.Fatalf("B.Get = %q, local hits %d; want before from memory", v, b.CacheStats().LocalHits)
	}

	srv.Stop()
	// The local copy stays served until the client sees its connection end
	// (EOF arrives asynchronously): bound that window, then every Get must
	// fail fast.
	stopped := time.Now()
	for {
		_, _, err := b.Get(context.Background(), "k")
		if server.ErrorCode(err) == server.EUNAVAILABLE {
			break
		}
		if time.Since(stopped) > time.Second {
			t.Fatalf("Get still answered %v 1s after Redis stopped; want EUNAVAILABLE", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("client noticed Redis stopped after %v", time.Since(stopped))
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	start := time.Now()
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := b.Get(context.Background(), "k")
			errs <- err
		}()
	}
	wg.Wait()
	if took := time.Since(start); took > time.Second {
		t.Errorf("200 Gets with Redis down took %v; want < 1s", took)
	}
	close(errs)
	for err := range errs {
		if got := server.ErrorCode(err); got != server.EUNAVAILABLE {
			t.Fatalf("Get with Redis down code = %q (%v); want %q", got, err, server.EUNAVAILABLE)
		}
	}
	for _, op := range []func() error{
		func() error { return a.Set(context.Background(), "k", []byte("x"), 0) },
		func() error { return a.Delete(context.Background(), "k") },
		func() error { return a.Ping(context.Background()) },
	} {
		s := time.Now()
		if got := server.ErrorCode(op()); got != server.EUNAVAILABLE {
			t.Errorf("op with Redis down code = %q; want %q", got, server.EUNAVAILABLE)
		}
		if took := time.Since(s); took > time.Second {
			t.Errorf("op with Redis down took %v; want < 1s", took)
		}
	}

	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	restarted := time.Now()
	deadline := restarted.Add(5 * time.Second)
	for {
		_, ok, err := b.Get(context.Background(), "k")
		if err == nil {
			if ok {
				t.Fatalf("Get after restart of an empty Redis = hit; want miss (stale local value served)")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Get still failing 5s after Redis restarted: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("recovered %v after restart", time.Since(restarted).Round(time.Millisecond))
	for time.Now().Before(deadline) && a.Set(context.Background(), "k", []byte("after"), 0) != nil {
		time.Sleep(20 * time.Millisecond)
	}
	waitFor(t, b, "k", "after", 100*time.Millisecond)
}

func TestCacheLocalBound(t *testing.T) {
	cfg := testConfig(t)
	cfg.LocalCacheBytes = 16 << 10
	c := newCache(t, cfg)
	w := newCache(t, cfg)
	val := bytes.Repeat([]byte("x"), 1000)
	for i := range 300 {
		if err := w.Set(context.Background(), fmt.Sprint(i), val, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 300 {
		if v, ok := mustGet(t, c, fmt.Sprint(i)); !ok || len(v) != len(val) {
			t.Fatalf("Get(%d) = %d bytes, %v; want %d", i, len(v), ok, len(val))
		}
	}
	st := c.CacheStats()
	// 16 KiB, about 1.3 KiB per entry.
	if limit := int64(16 << 10); c.LocalBytes() > limit || st.Entries > 16 || st.Evictions == 0 {
		t.Errorf("LocalBytes = %d (limit %d), stats = %+v; want bounded with evictions", c.LocalBytes(), limit, st)
	}
}

// TestCacheFlushInvalidates: FLUSHALL makes Redis invalidate every tracked
// key; local copies go too.
func TestCacheFlushInvalidates(t *testing.T) {
	srv := stack.NewRedisServer(t)
	cfg := redis.Config{Addr: srv.Addr, Prefix: "es_flush:"}
	rc := mustClient(t, cfg)
	a, b := redis.NewCache(rc, cfg), newCache(t, cfg)
	mustSet(t, a, "k", "v")
	mustGet(t, b, "k")
	if v, _ := mustGet(t, b, "k"); string(v) != "v" || b.CacheStats().LocalHits == 0 {
		t.Fatalf("B.Get = %q; want v from memory", v)
	}
	if err := rc.Do(context.Background(), rc.B().Flushall().Build()).Error(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, "k", "", 100*time.Millisecond)
}
