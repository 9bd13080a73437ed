package redis_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/redis"
)

// redisPID finds the redis-server process serving addr (its process title
// names the address).
func redisPID(t *testing.T, addr string) int {
	t.Helper()
	_, port, _ := strings.Cut(addr, ":")
	paths, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		cmd := strings.ReplaceAll(string(b), "\x00", " ")
		if strings.HasPrefix(cmd, "redis-server") && (strings.Contains(cmd, ":"+port+" ") || strings.HasSuffix(strings.TrimSpace(cmd), ":"+port) || strings.Contains(cmd, "--port "+port+" ")) {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			return pid
		}
	}
	t.Fatalf("cannot find the redis-server process of %s", addr)
	return 0
}

// TestCacheRedisHung: a Redis that accepts connections but never answers
// (SIGSTOP) costs callers at most ReadTimeout, then the breaker answers at
// once; after SIGCONT the same Cache recovers.
func TestCacheRedisHung(t *testing.T) {
	srv := stack.NewRedisServer(t)
	pid := redisPID(t, srv.Addr)
	cfg := redis.Config{Addr: srv.Addr, Prefix: "es_hung:", ReadTimeout: 300 * time.Millisecond}
	c := newCache(t, cfg)
	mustSet(t, c, "k", "v")
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(pid, syscall.SIGCONT)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := c.Get(context.Background(), "other")
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	if took := time.Since(start); took > time.Second {
		t.Errorf("100 Gets on a hung Redis took %v; want about ReadTimeout (300ms)", took)
	}
	for err := range errs {
		if got := server.ErrorCode(err); got != server.EUNAVAILABLE {
			t.Fatalf("Get on a hung Redis code = %q (%v); want %q", got, err, server.EUNAVAILABLE)
		}
	}
	s := time.Now()
	if _, _, err := c.Get(context.Background(), "other"); server.ErrorCode(err) != server.EUNAVAILABLE || time.Since(s) > 10*time.Millisecond {
		t.Errorf("Get with the breaker open = %v after %v; want EUNAVAILABLE at once", err, time.Since(s))
	}
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, ok, err := c.Get(context.Background(), "k")
		if err == nil && ok && string(v) == "v" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Get 5s after SIGCONT = %q, %v, %v; want v", v, ok, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCacheLateReplyKeepsLocalCopies: a Redis that stalls for longer than
// ReadTimeout (one slow command, or this process paused) fails the callers
// waiting on it within ReadTimeout, but keeps the connection, and so the
// client-side copies it filled: the same Get is a local hit afterwards.
// Only a connection silent for redis.DeadAfter is given up.
func TestCacheLateReplyKeepsLocalCopies(t *testing.T) {
	srv := stack.NewRedisServer(t)
	pid := redisPID(t, srv.Addr)
	cfg := redis.Config{Addr: srv.Addr, Prefix: "es_late:", ReadTimeout: 500 * time.Millisecond}
	// rueidis checks a connection every second (Dialer.KeepAlive) and PINGs
	// it when nothing came back since the last check: within a 2.6 s stall
	// a PING starts by 2 s and, with a bound of ReadTimeout, would time out
	// (and drop the connection) before Redis answers again.
	stall := 2600 * time.Millisecond
	if time.Second+redis.DeadAfter(cfg.ReadTimeout) <= stall {
		t.Fatalf("DeadAfter(%v) = %v; the test needs 1 s + it above the %v stall", cfg.ReadTimeout, redis.DeadAfter(cfg.ReadTimeout), stall)
	}
	c := newCache(t, cfg)
	writer := newCache(t, cfg) // another instance writes: no write window on c
	mustSet(t, writer, "k", "v")
	mustGet(t, c, "k")
	before := c.CacheStats()
	if v, ok := mustGet(t, c, "k"); !ok || string(v) != "v" || c.CacheStats().LocalHits != before.LocalHits+1 {
		t.Fatalf("second Get = %q, %v, local hits %d -> %d; want a local hit of v", v, ok, before.LocalHits, c.CacheStats().LocalHits)
	}
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	cont := time.AfterFunc(stall, func() { _ = syscall.Kill(pid, syscall.SIGCONT) })
	defer func() { cont.Stop(); _ = syscall.Kill(pid, syscall.SIGCONT) }()
	start := time.Now()
	if _, _, err := c.Get(context.Background(), "other"); server.ErrorCode(err) != server.EUNAVAILABLE {
		t.Errorf("Get on a stalled Redis = %v; want EUNAVAILABLE", err)
	}
	if took := time.Since(start); took > cfg.ReadTimeout+300*time.Millisecond {
		t.Errorf("Get on a stalled Redis took %v; want about ReadTimeout (%v)", took, cfg.ReadTimeout)
	}
	time.Sleep(time.Until(start.Add(stall + 300*time.Millisecond)))
	if n := c.CacheStats().Entries; n < 1 {
		t.Errorf("client-side entries after a %v stall: %d; want the copy of k kept (the connection survived)", stall, n)
	}
	mid := c.CacheStats().LocalHits
	if v, ok := mustGet(t, c, "k"); !ok || string(v) != "v" || c.CacheStats().LocalHits != mid+1 {
		t.Errorf("Get after the stall = %q, %v, local hits %d -> %d; want a local hit of v", v, ok, mid, c.CacheStats().LocalHits)
	}
	// Coherence is intact on the kept connection: a write elsewhere still
	// invalidates the copy.
	mustSet(t, writer, "k", "w")
	deadline := time.Now().Add(3 * time.Second)
	for {
		if v, _ := mustGet(t, c, "k"); string(v) == "w" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Get after a write elsewhere still old 3s later")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
