package faults_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/integration/lb"
)

// acquireTimeout is DATABASE_ACQUIRE_TIMEOUT in the Postgres scenarios.
const acquireTimeout = time.Second

// TestPostgresStopped: the fleet's private Postgres is stopped (pg_ctl -m
// immediate: every connection cut) for 3 s under load through nginx and
// started again. Asserted:
//   - every write answered while it is down is 503 with Retry-After, within
//     DATABASE_ACQUIRE_TIMEOUT (+1 s of slack for a loaded machine): no hang;
//   - every instance answers /health/ready 503;
//   - the goroutines of each instance do not pile up (at most +200 over
//     the count under load before the outage);
//   - writes succeed again within 10 s of the restart, with no instance
//     restarted, and readiness is 200 again;
//   - the webhook ledger is whole (the refused calls retried) and every
//     accepted document is processed.
func TestPostgresStopped(t *testing.T) {
	const outage = 3 * time.Second
	f := newFleet(t, fleetOpts{kind: lb.Nginx, privatePG: true,
		env: map[string]string{"DATABASE_ACQUIRE_TIMEOUT": fmt.Sprint(acquireTimeout.Milliseconds())}})
	ld := startLoad(t, f, "pg-stopped", loadCfg{webhooks: 4, reads: 2, docs: 1})
	time.Sleep(700 * time.Millisecond)
	before := map[string]float64{}
	for _, i := range f.Insts {
		before[i.Name] = goroutines(i)
	}

	down := time.Now()
	if err := f.PG.Stop(); err != nil {
		t.Fatal(err)
	}
	notReady := map[string]int{}
	for _, i := range f.Insts {
		var code int
		waitFor(outage, func() bool { code, _ = i.Readiness(); return code == 503 })
		notReady[i.Name] = code
		if code != 503 {
			t.Errorf("%s /health/ready with Postgres down = %d; want 503", i.Name, code)
		}
	}
	time.Sleep(time.Until(down.Add(outage)))
	during := map[string]float64{}
	for _, i := range f.Insts {
		during[i.Name] = goroutines(i)
		if during[i.Name] > before[i.Name]+200 {
			t.Errorf("%s goroutines %v at the end of the outage; %v before: a pile-up", i.Name, during[i.Name], before[i.Name])
		}
	}
	if err := f.PG.Start(); err != nil {
		t.Fatal(err)
	}
	up := time.Now()
	c := f.login(t, f.LB.URL, 0)
	var writesBack time.Duration
	if waitFor(10*time.Second, func() bool {
		r, err := c.Do("PATCH", f.LB.URL+"/api/agents/"+f.Org.Agents[1].ID, map[string]string{"name": "after the outage"})
		return err == nil && r.Status == 200
	}) {
		writesBack = time.Since(up)
	} else {
		t.Errorf("writes do not succeed within 10s of Postgres's restart")
	}
	for _, i := range f.Insts {
		if err := i.WaitReady(10 * time.Second); err != nil {
			t.Errorf("%s after Postgres's restart: %v", i.Name, err)
		}
	}
	time.Sleep(500 * time.Millisecond)
	ld.halt()
	res := ld.led.verify(t, f.LB.URL, f.DSN, 15*time.Second)
	jobs := ld.verifyJobs(t, 20*time.Second)

	// Every failure is a write refused during the outage, 503 + Retry-After,
	// answered within the acquire timeout.
	var bad []string
	var refused, reads int
	var slowest time.Duration
	ld.mu.Lock()
	for _, fl := range ld.failures {
		inOutage := !fl.At.Before(down) && !fl.At.After(up.Add(10*time.Second))
		isWrite := strings.HasPrefix(fl.What, "POST ")
		switch {
		case inOutage && isWrite && fl.Status == 503 && fl.RetryAfter != "" && fl.Latency <= acquireTimeout+time.Second:
			refused++
			slowest = max(slowest, fl.Latency)
		case inOutage && !isWrite:
			reads++ // reads may miss the cache and need Postgres: counted, reported
			if fl.Status == 0 || fl.Latency > acquireTimeout+time.Second {
				bad = append(bad, fmt.Sprintf("%s %s (%v)", fl.At.Format("15:04:05.000"), fl.What, fl.Latency))
			}
		default:
			bad = append(bad, fmt.Sprintf("%s %s (%v, Retry-After %q)", fl.At.Format("15:04:05.000"), fl.What, fl.Latency, fl.RetryAfter))
		}
	}
	ld.mu.Unlock()
	if len(bad) > 0 {
		t.Errorf("%d answers other than a prompt 503 + Retry-After while Postgres was down: %q", len(bad), bad[:min(10, len(bad))])
		f.logLines(t, `"status":500`)
	}
	if refused == 0 {
		t.Errorf("no write was refused while Postgres was down; the outage did not happen under load")
	}
	t.Logf("answers: %v", ld)
	summary{Scenario: "postgres-stopped/nginx", Requests: ld.sent.Load(), Failures: int64(len(bad)),
		Ledger: res.String(), Jobs: jobs,
		Notes: []string{fmt.Sprintf("outage %v, writes refused 503+Retry-After %d (slowest %v, acquire timeout %v), reads failed %d, readiness %v, goroutines before %v end of outage %v, writes back %v after restart",
			outage, refused, slowest.Round(time.Millisecond), acquireTimeout, reads, notReady, before, during, writesBack.Round(time.Millisecond))}}.report(t)
}
