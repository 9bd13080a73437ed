package suite_test

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/integration/harness"
	"github.com/echosenseix/echosenseix/integration/lb"
)

// apiRequests answers how many /api requests i has answered.
func apiRequests(t *testing.T, i *harness.Instance) float64 {
	return harness.Metric(metrics(t, i), "http_requests_total", `route="/api/`)
}

// TestBehindLoadBalancer: three instances (sessions, cache and queue on
// Redis) behind nginx and behind haproxy, each run from deploy/'s config.
// Four clients log in and do agent CRUD through the balancer; requests
// spread over every instance; one instance is stopped with SIGTERM during
// the load (and exits 0) and no request through the balancer fails.
func TestBehindLoadBalancer(t *testing.T) {
	for _, k := range lb.Kinds {
		t.Run(k.Name, func(t *testing.T) { testBalancer(t, k) })
	}
}

func testBalancer(t *testing.T, kind lb.Kind) {
	const workers = 4
	const minRequests = 300 // before the stop: 40 %
	d := deploy(t, 3, 1, workers, 1, redisProviders)
	ports := make([]int, len(d.Insts))
	for k, i := range d.Insts {
		ports[k] = i.Port
	}
	url := lb.Start(t, kind, ports).URL

	res := newTally()
	var done atomic.Int64
	victim := d.Insts[1]
	var spread []float64
	var stopErr error
	var stopOnce sync.Once
	var stopped atomic.Int64 // unix ns when the victim exited
	var loadOver atomic.Bool
	stopVictim := func() {
		for _, i := range d.Insts {
			spread = append(spread, apiRequests(t, i))
		}
		go func() {
			start := time.Now()
			if code := victim.Stop(); code != 0 {
				stopErr = fmt.Errorf("%s exited %d after SIGTERM; want 0", victim.Name, code)
			}
			stopped.Store(time.Now().UnixNano())
			t.Logf("%s stopped (SIGTERM -> exit) in %v", victim.Name, time.Since(start).Round(time.Millisecond))
		}()
	}
	// The load runs until the victim has been gone for 1.5 s (at most 30 s).
	go func() {
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			if ns := stopped.Load(); ns != 0 && time.Since(time.Unix(0, ns)) > 1500*time.Millisecond {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		loadOver.Store(true)
	}()
	var afterStop atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Go(func() {
			u := d.Org.Users[w]
			c := harness.NewClient()
			r, err := c.Do("POST", url+"/api/login", map[string]string{"email": u.Email, "password": u.Password})
			if !res.add("POST /api/login", r, err, 200) {
				return
			}
			for _, ck := range r.Header.Values("Set-Cookie") {
				if v, ok := strings.CutPrefix(ck, harness.SessionCookie+"="); ok {
					c.SID, _, _ = strings.Cut(v, ";")
				}
			}
			step := func(what string, r *harness.Response, err error, want int) bool {
				ok := res.add(what, r, err, want)
				if stopped.Load() != 0 {
					afterStop.Add(1)
				}
				if done.Add(1) == minRequests {
					stopOnce.Do(stopVictim)
				}
				return ok
			}
			for k := 0; !loadOver.Load(); k++ {
				r, err := c.Do("POST", url+"/api/agents", map[string]string{"name": fmt.Sprintf("lb agent %d-%d", w, k), "externalAgentId": fmt.Sprintf("lb_%s_%d_%d", kind.Name, w, k)})
				if !step("POST /api/agents", r, err, 201) {
					continue
				}
				var a struct{ ID string }
				if err := r.JSON(&a); err != nil {
					t.Error(err)
					continue
				}
				r, err = c.Do("GET", url+"/api/agents/"+a.ID, nil)
				step("GET /api/agents/:id", r, err, 200)
				r, err = c.Do("PATCH", url+"/api/agents/"+a.ID, map[string]string{"name": "renamed"})
				step("PATCH /api/agents/:id", r, err, 200)
				r, err = c.Do("GET", url+"/api/agents", nil)
				step("GET /api/agents", r, err, 200)
				r, err = c.Do("DELETE", url+"/api/agents/"+a.ID, nil)
				step("DELETE /api/agents/:id", r, err, 204)
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	<-victim.Done()
	t.Logf("%s: %d requests through the balancer in %v (%d after %s exited): %v", kind.Name, done.Load()+workers,
		elapsed.Round(time.Millisecond), afterStop.Load(), victim.Name, res)
	if stopErr != nil {
		t.Error(stopErr)
	}
	if bad := res.count(func(s int) bool { return s == 0 || s >= 300 }); bad > 0 {
		t.Errorf("%d requests through %s failed while %s stopped; want none: %v", bad, kind.Name, victim.Name, res)
	}
	if len(spread) != len(d.Insts) {
		t.Fatalf("the victim was never stopped (%d requests done)", done.Load())
	}
	t.Logf("/api requests per instance when %s was stopped: %v", victim.Name, spread)
	for k, n := range spread {
		if n == 0 {
			t.Errorf("%s served no /api request before the stop; want the balancer to spread them", d.Insts[k].Name)
		}
	}
}
