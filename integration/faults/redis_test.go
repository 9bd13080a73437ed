package faults_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/integration/harness"
	"github.com/echosenseix/echosenseix/integration/lb"
)

// TestRedisKilled: the fleet's private redis-server (cache, queue and
// realtime fan-out) is killed (SIGKILL) for 2 s under load and started
// again from its append-only file (appendfsync always: a Redis holding the
// job queue must keep what it acknowledged; without it, a crash loses the
// jobs that were queued and not yet taken). Sessions are per instance here (SESSION_STORE=memory:
// a session store in Redis cannot serve while Redis is down), so the
// session reads go to each instance directly; webhooks go through nginx,
// realtime clients connect through it with tokens. Asserted:
//   - the reads and the webhooks keep answering 200 (Postgres serves them);
//   - every instance answers /health/ready 200 "degraded" while Redis is down;
//   - document submissions are the only refusals (503 with Retry-After:
//     the queue is in Redis) and every accepted document is processed;
//   - within 5 s of the restart every instance is "ready" again and the
//     realtime clients receive events again;
//   - the webhook ledger is whole.
func TestRedisKilled(t *testing.T) {
	const outage = 2 * time.Second
	f := newFleet(t, fleetOpts{kind: lb.Nginx, persistentRedis: true, env: map[string]string{"SESSION_STORE": "memory"}})
	clients := make([]*harness.Client, len(f.Insts))
	for k, i := range f.Insts {
		clients[k] = f.login(t, i.URL, k)
	}
	ld := startLoad(t, f, "redis-killed", loadCfg{webhooks: 3, reads: 3, docs: 1,
		session: func(w int) (string, *harness.Client) { return f.Insts[w%3].URL, clients[w%3] }})
	var tok struct{ Token string }
	if err := clients[0].Must(t, 200, "GET", f.Insts[0].URL+"/api/realtime/token", nil).JSON(&tok); err != nil || tok.Token == "" {
		t.Fatalf("realtime token: %q %v", tok.Token, err)
	}
	rts := startRealtimeWith(t, f.LB.URL, "?token="+tok.Token, nil, 3)
	time.Sleep(500 * time.Millisecond)

	f.Redis.Stop()
	down := time.Now()
	degraded := map[string]string{}
	for _, i := range f.Insts {
		var code int
		var status string
		waitFor(outage, func() bool { code, status = i.Readiness(); return code == 200 && status == "degraded" })
		degraded[i.Name] = fmt.Sprintf("%d %s", code, status)
		if code != 200 || status != "degraded" {
			t.Errorf("%s /health/ready while Redis is down = %d %q; want 200 \"degraded\"", i.Name, code, status)
		}
	}
	time.Sleep(time.Until(down.Add(outage)))
	if err := f.Redis.Start(); err != nil {
		t.Fatal(err)
	}
	up := time.Now()
	var recovered time.Duration
	if waitFor(5*time.Second, func() bool {
		for _, i := range f.Insts {
			if code, status := i.Readiness(); code != 200 || status != "ready" {
				return false
			}
		}
		return true
	}) {
		recovered = time.Since(up)
	} else {
		t.Errorf("not every instance ready within 5s of Redis's restart")
	}
	time.Sleep(time.Second) // load against the restarted Redis
	res, jobs, rt := ld.finish(t, rts, 1)

	// The only refusals allowed: documents while the queue is down.
	var other []string
	refused := 0
	ld.mu.Lock()
	for _, fl := range ld.failures {
		if strings.HasPrefix(fl.What, "POST /api/documents 503") && !fl.At.Before(down) && !fl.At.After(up.Add(5*time.Second)) {
			refused++
			continue
		}
		other = append(other, fl.At.Format("15:04:05.000")+" "+fl.What)
	}
	ld.mu.Unlock()
	if len(other) > 0 {
		t.Errorf("%d failures besides document refusals during the outage; want none: %q", len(other), other[:min(10, len(other))])
	}
	t.Logf("answers: %v; readiness while down: %v", ld, degraded)
	summary{Scenario: "redis-killed/nginx", Requests: ld.sent.Load(), Failures: int64(len(other)),
		Ledger: res.String(), Jobs: jobs, Realtime: rt,
		Notes: []string{fmt.Sprintf("outage %v, documents refused 503 %d, readiness while down %v, all ready %v after restart",
			outage, refused, degraded, recovered.Round(time.Millisecond))}}.report(t)
}
