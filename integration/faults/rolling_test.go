package faults_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/integration/lb"
)

// TestRollingRestart: load through the balancer (signed webhooks, session
// reads, documents) and realtime clients while each of the three instances
// in turn gets SIGTERM, must exit 0, is started again and waited ready,
// twice over. Asserted: zero failed requests, every acknowledged webhook
// stored exactly once and nothing else, every accepted document processed,
// every realtime client reconnected and receiving events. nginx and
// haproxy, each from its deploy/ file.
func TestRollingRestart(t *testing.T) {
	for _, k := range lb.Kinds {
		t.Run(k.Name, func(t *testing.T) { rollingRestart(t, k) })
	}
}

func rollingRestart(t *testing.T, k lb.Kind) {
	const rounds = 2
	f := newFleet(t, fleetOpts{kind: k})
	ld := startLoad(t, f, "rolling-"+k.Name, loadCfg{webhooks: 3, reads: 2, docs: 1})
	rts := startRealtime(t, f.LB.URL, f.login(t, f.LB.URL, 3), 4)
	time.Sleep(300 * time.Millisecond)

	start := time.Now()
	var stops []time.Duration
	for round := range rounds {
		for _, inst := range f.Insts {
			t0 := time.Now()
			if code := inst.Stop(); code != 0 {
				t.Errorf("round %d: %s exited %d after SIGTERM; want 0", round, inst.Name, code)
			}
			stops = append(stops, time.Since(t0).Round(time.Millisecond))
			if err := inst.Restart(); err != nil {
				t.Fatalf("round %d: %s: %v", round, inst.Name, err)
			}
			// The balancer must use the instance again before the next goes:
			// haproxy's rise x inter, nginx's fail_timeout (a server that
			// refused connections is skipped that long).
			time.Sleep(f.LB.RejoinBound(t) + 300*time.Millisecond)
		}
	}
	restarts := time.Since(start)
	time.Sleep(300 * time.Millisecond)
	res, jobs, rt := ld.finish(t, rts, rounds+1)

	if n := ld.failed.Load(); n > 0 {
		t.Errorf("%d of %d requests failed during the rolling restarts; want 0: %v\n%q", n, ld.sent.Load(), ld, ld.examples(10))
	}
	t.Logf("answers: %v; SIGTERM->exit per instance %v", ld, stops)
	summary{Scenario: "rolling-restart/" + k.Name, Requests: ld.sent.Load(), Failures: ld.failed.Load(),
		Ledger: res.String(), Jobs: jobs, Realtime: rt,
		Notes: []string{fmt.Sprintf("%d restarts in %v", rounds*len(f.Insts), restarts.Round(time.Millisecond))}}.report(t)
}
