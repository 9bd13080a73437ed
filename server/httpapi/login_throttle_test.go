package httpapi_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/redis"
)

// throttles are the login throttles the HTTP tests run on; each call of
// new(tb, cfg) with the same cfg shares its counters (one Redis prefix).
var throttles = []struct {
	name string
	new  func(tb testing.TB, cfg redis.Config) server.LoginThrottle
}{
	{"memory", func(testing.TB, redis.Config) server.LoginThrottle { return nil }}, // the default
	{"redis", func(tb testing.TB, cfg redis.Config) server.LoginThrottle {
		rc, err := redis.NewClient(cfg)
		if err != nil {
			tb.Fatalf("redis.NewClient: %v", err)
		}
		tb.Cleanup(rc.Close)
		return redis.NewLoginThrottle(rc, cfg, server.LoginLimits{})
	}},
}

func withThrottle(th server.LoginThrottle) envOption {
	return func(c *httpapiConfig, _ *httpapiDeps) {
		if th != nil {
			c.LoginThrottle = th
		}
	}
}

// parallelLogins sends n logins with body at once, spread over envs, and
// counts the statuses; every 429 must carry Retry-After.
func parallelLogins(t *testing.T, n int, body string, envs ...*env) map[int]int {
	codes := make([]int, n)
	retry := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := envs[i%len(envs)].do("POST", "/api/login", body)
			codes[i], retry[i] = w.Code, string(w.Header().Peek("Retry-After"))
		}()
	}
	wg.Wait()
	count := map[int]int{}
	for i, c := range codes {
		count[c]++
		if c == 429 && (retry[i] == "" || retry[i] == "0") {
			t.Errorf("429 #%d: Retry-After = %q; want seconds", i, retry[i])
		}
	}
	return count
}

// TestLoginThrottleParallel: 30 wrong passwords sent at once to one account
// from one address get at most the per-account limit of 401s; the rest 429
// with Retry-After (before the fix: 30 401s, no 429).
func TestLoginThrottleParallel(t *testing.T) {
	for _, tt := range throttles {
		t.Run(tt.name, func(t *testing.T) {
			var th server.LoginThrottle
			if tt.name == "redis" {
				th = tt.new(t, redisConfig(t))
			}
			e := newEnv(t, backends[0], withThrottle(th))
			bad := fmt.Sprintf(`{"email":%q,"password":"wrong"}`, e.a.user.Email)
			if count := parallelLogins(t, 30, bad, e); count[401] > 5 || count[401]+count[429] != 30 {
				t.Fatalf("30 parallel wrong passwords: got %v; want at most 5 401s and the rest 429", count)
			}
		})
	}
}

// TestLoginThrottleTwoInstances: two servers on one Redis share the count:
// 30 parallel wrong passwords spread over both get at most 5 401s in all.
func TestLoginThrottleTwoInstances(t *testing.T) {
	cfg := redisConfig(t)
	a := newEnv(t, backends[0], withThrottle(throttles[1].new(t, cfg)))
	b := newEnv(t, backends[0], withThrottle(throttles[1].new(t, cfg)))
	bad := fmt.Sprintf(`{"email":%q,"password":"wrong"}`, a.a.user.Email)
	if count := parallelLogins(t, 30, bad, a, b); count[401] > 5 || count[401]+count[429] != 30 {
		t.Fatalf("30 parallel wrong passwords over two instances: got %v; want at most 5 401s and the rest 429", count)
	}
}

// TestLoginOwnerGetsInWhileHammered: behind a trusted proxy, an attacker
// hammering an account from one address is refused after the limit, while
// the owner's right password from another address still logs in.
func TestLoginOwnerGetsInWhileHammered(t *testing.T) {
	for _, tt := range throttles {
		t.Run(tt.name, func(t *testing.T) {
			var th server.LoginThrottle
			if tt.name == "redis" {
				th = tt.new(t, redisConfig(t))
			}
			ownerGetsIn(t, th)
		})
	}
}

func ownerGetsIn(t *testing.T, th server.LoginThrottle) {
	e, base := serveEnv(t, backends[0], withThrottle(th))
	bad := fmt.Sprintf(`{"email":%q,"password":"wrong"}`, e.a.user.Email)
	good := fmt.Sprintf(`{"email":%q,"password":%q}`, e.a.user.Email, testPassword)
	count := map[int]int{}
	for range 12 {
		code, _, _ := httpDo(t, "POST", base+"/api/login", bad, "Content-Type: application/json", "X-Forwarded-For: 203.0.113.9")
		count[code]++
	}
	if count[401] != 5 || count[429] != 7 {
		t.Fatalf("12 wrong passwords from one address: got %v; want 5 401s and 7 429s", count)
	}
	if code, _, body := httpDo(t, "POST", base+"/api/login", good, "Content-Type: application/json", "X-Forwarded-For: 203.0.113.9"); code != 429 {
		t.Errorf("right password from the attacker's address: got %d %s; want 429 (back-off)", code, body)
	}
	if code, _, body := httpDo(t, "POST", base+"/api/login", good, "Content-Type: application/json", "X-Forwarded-For: 198.51.100.4"); code != 200 {
		t.Fatalf("owner's right password from another address: got %d %s; want 200", code, body)
	}
}

// addrThrottle records the client address of every attempt.
type addrThrottle struct {
	mu    sync.Mutex
	addrs []string
}

func (a *addrThrottle) Attempt(_ context.Context, _, addr string) (time.Duration, error) {
	a.mu.Lock()
	a.addrs = append(a.addrs, addr)
	a.mu.Unlock()
	return 0, nil
}

func (a *addrThrottle) Succeeded(context.Context, string, string) error { return nil }

func (a *addrThrottle) last() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.addrs[len(a.addrs)-1]
}

// TestLoginClientAddress: X-Forwarded-For / X-Real-IP name the client only
// when the peer is a trusted proxy; an untrusted peer cannot pick its
// address, and behind a trusted proxy two clients are two addresses.
func TestLoginClientAddress(t *testing.T) {
	tests := []struct {
		name    string
		trusted []string
		headers []string
		want    string
	}{
		{"trusted proxy, client A", nil, []string{"X-Forwarded-For: 203.0.113.1"}, "203.0.113.1"},
		{"trusted proxy, client B", nil, []string{"X-Forwarded-For: 203.0.113.2"}, "203.0.113.2"},
		{"trusted proxy, X-Real-IP", nil, []string{"X-Real-IP: 203.0.113.3"}, "203.0.113.3"},
		{"trusted proxy, spoofed first hop", nil, []string{"X-Forwarded-For: 6.6.6.6, 203.0.113.4"}, "203.0.113.4"},
		{"no header", nil, nil, "127.0.0.1"},
		{"untrusted peer spoofs", []string{"10.0.0.0/8"}, []string{"X-Forwarded-For: 203.0.113.5"}, "127.0.0.1"},
		{"untrusted peer spoofs X-Real-IP", []string{"10.0.0.0/8"}, []string{"X-Real-IP: 203.0.113.6"}, "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th := &addrThrottle{}
			e, base := serveEnv(t, backends[0], func(c *httpapiConfig, _ *httpapiDeps) {
				c.LoginThrottle, c.TrustedProxies = th, tt.trusted
			})
			body := fmt.Sprintf(`{"email":%q,"password":"wrong"}`, e.a.user.Email)
			httpDo(t, "POST", base+"/api/login", body, append(tt.headers, "Content-Type: application/json")...)
			if got := th.last(); got != tt.want {
				t.Errorf("client address: got %q; want %q", got, tt.want)
			}
		})
	}
}
