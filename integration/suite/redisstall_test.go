package suite_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/integration/harness"
)

// stallReadBound bounds a cached read while Redis hangs: the Redis client's
// reply timeout (500 ms by default) plus the Postgres read, with margin.
const stallReadBound = 1500 * time.Millisecond

// TestRedisStall: Redis frozen with SIGSTOP for 2 s (it accepts
// connections and answers nothing: a hung server or a partition, the case
// that needs timeouts rather than a refused connection) under a read load
// on two instances. Cached reads never fail and each finishes within 1.5 s
// (no pile-up behind the hung Redis); /health/ready stays 200; after
// SIGCONT everything recovers within 5 s (redisRecoveryMax).
//
// Its failures past 5 s under CPU pressure (3 runs in 25 beside two
// busy loops) were one instance whose cache breaker never half-opened
// again: redis.Cache.Get asked the breaker before its client-side lookup,
// so the one half-open probe could go to a Get answered from process
// memory, which never reports back; the breaker then refused every call
// for good: readiness "degraded", failing ["cache"], cache counters
// frozen, while Redis and the other instance were fine. A longer bound
// (10 s, b9039fb) cannot help that; the fix is in Cache.Get. While not
// recovered, each poll logs the readiness bodies and, once a second, the
// cache and queue checks of /health and the cache counters, so that a
// failure explains itself.
func TestRedisStall(t *testing.T) {
	d := deploy(t, 2, 1, 1, 1, map[string]string{"CACHE_PROVIDER": "redis", "QUEUE_PROVIDER": "redis", "SESSION_STORE": "memory"})
	a, b := d.Insts[0], d.Insts[1]
	agent := d.Org.Agents[0]
	ca := harness.Login(t, a, d.User.Email, d.User.Password)
	cb := harness.Login(t, b, d.User.Email, d.User.Password)
	type target struct {
		c *harness.Client
		i *harness.Instance
	}
	targets := []target{{ca, a}, {cb, b}}

	reads := newTally()
	var stop atomic.Bool
	var mu sync.Mutex
	var stalled latencies // reads that started while Redis was frozen
	var frozen atomic.Bool
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for k := 0; !stop.Load(); k++ {
				tg := targets[(w+k)%2]
				path := []string{"/api/agents/" + agent.ID, "/api/auth/user"}[k%2]
				during := frozen.Load()
				r, err := tg.c.Do("GET", tg.i.URL+path, nil)
				reads.add("GET "+path+" on "+tg.i.Name, r, err, 200)
				if err == nil && during {
					mu.Lock()
					stalled = append(stalled, r.Latency)
					mu.Unlock()
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	defer func() { stop.Store(true); wg.Wait() }()
	time.Sleep(300 * time.Millisecond)

	if err := d.Redis.Pause(); err != nil {
		t.Fatal(err)
	}
	frozen.Store(true)
	paused := time.Now()
	resumed := false
	defer func() {
		if !resumed {
			_ = d.Redis.Resume()
		}
	}()
	var ready []string
	for time.Since(paused) < outage {
		for _, i := range []*harness.Instance{a, b} {
			code, status := i.Readiness()
			if code != 200 {
				t.Errorf("%s: /health/ready = %d %q while Redis hangs; want 200", i.Name, code, status)
			}
			ready = append(ready, status)
		}
		time.Sleep(200 * time.Millisecond)
	}
	frozen.Store(false)
	if err := d.Redis.Resume(); err != nil {
		t.Fatal(err)
	}
	resumed = true
	up := time.Now()
	var last string
	var detailed time.Time
	for round := 0; ; round++ {
		if time.Since(up) > redisRecoveryMax {
			t.Fatalf("not recovered %v after Redis resumed; last check: %s; %s", redisRecoveryMax, last, healthDiag(true, a, b))
		}
		if last = recoveryCheck(t, a, b, ca, cb, agent.ID, fmt.Sprintf("After stall %d", round)); last == "" {
			break
		}
		full := time.Since(detailed) >= time.Second
		if full {
			detailed = time.Now()
		}
		t.Logf("+%v not recovered: %s; %s", time.Since(up).Round(time.Millisecond), last, healthDiag(full, a, b))
		time.Sleep(50 * time.Millisecond)
	}
	recovered := time.Since(up)
	stop.Store(true)
	wg.Wait()
	t.Logf("readiness while Redis hung: %v", ready)
	t.Logf("reads started while Redis hung: %v (bound %v); all reads: %v; recovered %v after SIGCONT",
		stalled, stallReadBound, reads, recovered.Round(time.Millisecond))
	if bad := reads.count(func(s int) bool { return s != 200 }); bad > 0 {
		t.Errorf("%d cached reads failed while Redis hung; want none: %v", bad, reads)
	}
	if len(stalled) == 0 {
		t.Fatal("no read ran while Redis hung")
	}
	if m := stalled.max(); m > stallReadBound {
		t.Errorf("slowest read while Redis hung = %v; want <= %v", m, stallReadBound)
	}
}

// healthDiag answers each instance's /health/ready body for the logs of a
// slow recovery; with full, also the cache and queue checks of /health
// (their error messages) and the Redis cache counters of /metrics (counters
// that stop moving while Redis answers point at a breaker refusing calls).
func healthDiag(full bool, insts ...*harness.Instance) string {
	var b strings.Builder
	for _, i := range insts {
		c := harness.NewClient()
		fmt.Fprintf(&b, "%s:", i.Name)
		if r, err := c.Do("GET", i.URL+"/health/ready", nil); err != nil {
			fmt.Fprintf(&b, " ready: %v", err)
		} else {
			fmt.Fprintf(&b, " ready %d %s", r.Status, bytes.TrimSpace(r.Body))
		}
		if full {
			if r, err := c.Do("GET", i.URL+"/health", nil); err != nil {
				fmt.Fprintf(&b, " health: %v", err)
			} else {
				var h struct{ Checks map[string]json.RawMessage }
				_ = r.JSON(&h)
				fmt.Fprintf(&b, " health cache=%s queue=%s", h.Checks["cache"], h.Checks["queue"])
			}
			if r, err := c.Do("GET", i.URL+"/metrics", nil); err == nil && r.Status == 200 {
				fmt.Fprintf(&b, " cache local entries=%v hits local=%v remote=%v misses=%v",
					harness.Metric(r.Body, "echosenseix_redis_cache_local_entries"),
					harness.Metric(r.Body, "echosenseix_redis_cache_hits_total", `source="local"`),
					harness.Metric(r.Body, "echosenseix_redis_cache_hits_total", `source="remote"`),
					harness.Metric(r.Body, "echosenseix_redis_cache_misses_total"))
			}
		}
		b.WriteString("; ")
	}
	return b.String()
}
