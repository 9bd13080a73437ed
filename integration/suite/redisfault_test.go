package suite_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/integration/harness"
)

// Bounds of the Redis outage test (degraded mode).
const (
	outage           = 2 * time.Second
	queueFailBound   = time.Second     // POST /api/documents answers 503 within it while Redis is down
	redisRecoveryMax = 5 * time.Second // everything works again within it after Redis returns
)

// TestRedisOutage: CACHE_PROVIDER=redis and QUEUE_PROVIDER=redis on two
// instances (sessions in memory: a session store in Redis cannot serve
// while Redis is down), a private redis-server killed for 2 s under a read
// load and started again (empty, as after a crash):
//   - no 5xx and no transport error on the cached reads (Postgres serves them);
//   - /health/ready answers 200 "degraded" while Redis is down;
//   - POST /api/documents answers 503 within 1 s while Redis is down;
//   - within 5 s of the restart: readiness "ready" on both, a PATCH on A is
//     seen by a GET on B within 100 ms, documents are accepted and processed.
func TestRedisOutage(t *testing.T) {
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

	// The read load: cached reads on both instances until stop.
	reads := newTally()
	var stop atomic.Bool
	var slowest atomic.Int64
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for k := 0; !stop.Load(); k++ {
				tg := targets[(w+k)%2]
				for _, path := range []string{"/api/agents/" + agent.ID, "/api/auth/user"} {
					r, err := tg.c.Do("GET", tg.i.URL+path, nil)
					reads.add("GET "+path+" on "+tg.i.Name, r, err, 200)
					if err == nil && int64(r.Latency) > slowest.Load() {
						slowest.Store(int64(r.Latency))
					}
				}
				time.Sleep(2 * time.Millisecond)
			}
		})
	}
	defer func() { stop.Store(true); wg.Wait() }()
	time.Sleep(300 * time.Millisecond) // load running against a healthy Redis

	d.Redis.Stop()
	down := time.Now()
	for _, i := range []*harness.Instance{a, b} {
		deadline := time.Now().Add(outage)
		for {
			code, status := i.Readiness()
			if code == 200 && status == "degraded" {
				t.Logf("%s: /health/ready 200 degraded %v after Redis stopped", i.Name, time.Since(down).Round(time.Millisecond))
				break
			}
			if code != 200 && code != 0 {
				t.Errorf("%s: /health/ready = %d %q while Redis is down; want 200 degraded", i.Name, code, status)
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("%s: /health/ready still %d %q %v after Redis stopped; want 200 degraded", i.Name, code, status, outage)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	var queueLat latencies
	for k := 0; k < 4; k++ {
		tg := targets[k%2]
		r, err := tg.c.Do("POST", tg.i.URL+"/api/documents", map[string]string{"title": "t", "content": "while redis is down"})
		if err != nil {
			t.Fatalf("POST /api/documents on %s while Redis is down: %v", tg.i.Name, err)
		}
		queueLat = append(queueLat, r.Latency)
		if r.Status != 503 {
			t.Errorf("POST /api/documents on %s while Redis is down = %s; want 503", tg.i.Name, r)
		}
	}
	t.Logf("POST /api/documents while Redis is down: %v (bound %v)", queueLat, queueFailBound)
	if m := queueLat.max(); m > queueFailBound {
		t.Errorf("slowest 503 of POST /api/documents while Redis is down = %v; want <= %v", m, queueFailBound)
	}
	time.Sleep(time.Until(down.Add(outage))) // the outage lasts its full length under the read load

	if err := d.Redis.Start(); err != nil {
		t.Fatalf("cannot restart redis: %v", err)
	}
	up := time.Now()
	var recovered time.Duration
	var last string
	for round := 0; recovered == 0; round++ {
		if time.Since(up) > redisRecoveryMax {
			t.Fatalf("not recovered %v after Redis returned; last check: %s", redisRecoveryMax, last)
		}
		last = recoveryCheck(t, a, b, ca, cb, agent.ID, fmt.Sprintf("After outage %d", round))
		if last == "" {
			recovered = time.Since(up)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("recovered %v after Redis returned (bound %v); reads during the test: %v; slowest read %v",
		recovered.Round(time.Millisecond), redisRecoveryMax, reads, time.Duration(slowest.Load()).Round(time.Millisecond))
	if bad := reads.count(func(s int) bool { return s != 200 }); bad > 0 {
		t.Errorf("%d cached reads failed during the Redis outage; want none: %v", bad, reads)
	}

	// Jobs run again: a document submitted now is processed.
	var ans struct{ DocumentID string }
	if err := cb.Must(t, 202, "POST", b.URL+"/api/documents", map[string]string{"title": "t", "content": "jobs resume"}).JSON(&ans); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(redisRecoveryMax)
	for {
		var doc struct{ Status string }
		if err := ca.Must(t, 200, "GET", a.URL+"/api/documents/"+ans.DocumentID, nil).JSON(&doc); err != nil {
			t.Fatal(err)
		}
		if doc.Status == "processed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("document submitted after the outage still %q %v later", doc.Status, redisRecoveryMax)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// recoveryCheck answers "" when everything works again, else what does not.
// A step slower than a second is logged: a round that passes late (the
// bound is checked between rounds) then says where its time went.
func recoveryCheck(t *testing.T, a, b *harness.Instance, ca, cb *harness.Client, agentID, name string) string {
	t.Helper()
	start := time.Now()
	defer func() {
		if d := time.Since(start); d > time.Second {
			t.Logf("%s: recovery check took %v", name, d.Round(time.Millisecond))
		}
	}()
	slow := func(what string, r *harness.Response) {
		if r != nil && r.Latency > time.Second {
			t.Logf("%s: %s took %v", name, what, r.Latency.Round(time.Millisecond))
		}
	}
	for _, i := range []*harness.Instance{a, b} {
		if code, status := i.Readiness(); code != 200 || status != "ready" {
			return fmt.Sprintf("%s /health/ready = %d %q", i.Name, code, status)
		}
	}
	r, err := ca.Do("PATCH", agentURL(a, agentID), map[string]string{"name": name})
	slow("PATCH on A", r)
	if err != nil || r.Status != 200 {
		return fmt.Sprintf("PATCH on A: %v %v", r, err)
	}
	patched := time.Now()
	for {
		r, err := cb.Do("GET", agentURL(b, agentID), nil)
		slow("GET on B", r)
		if err != nil || r.Status != 200 {
			return fmt.Sprintf("GET on B: %v %v", r, err)
		}
		if agentName(t, r) == name {
			break
		}
		if time.Since(patched) > coherenceBound {
			return fmt.Sprintf("B still shows the old name %v after the PATCH on A", coherenceBound)
		}
		time.Sleep(time.Millisecond)
	}
	for _, tg := range []struct {
		c *harness.Client
		i *harness.Instance
	}{{ca, a}, {cb, b}} {
		r, err := tg.c.Do("POST", tg.i.URL+"/api/documents", map[string]string{"title": "t", "content": "after the outage"})
		slow("POST /api/documents on "+tg.i.Name, r)
		if err != nil || r.Status != 202 {
			return fmt.Sprintf("POST /api/documents on %s: %v %v", tg.i.Name, r, err)
		}
	}
	return ""
}
