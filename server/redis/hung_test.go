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
