package faults_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/integration/harness"
	"github.com/echosenseix/echosenseix/integration/lb"
)

// TestKillOneInstance: under load through the balancer one instance gets
// SIGKILL. Asserted: failures only within the balancer's detection bound of
// the kill (haproxy inter x fall, nginx fail_timeout) and no more than the
// requests that can have been in flight on it (one per worker); the
// balancer sends nothing to the dead instance after that bound; restarted,
// the instance serves requests again within the balancer's rejoin bound;
// the webhook ledger is whole (retries of the calls cut in flight are
// stored once) and every accepted document is processed.
func TestKillOneInstance(t *testing.T) {
	for _, k := range lb.Kinds {
		t.Run(k.Name, func(t *testing.T) { killOne(t, k) })
	}
}

func killOne(t *testing.T, k lb.Kind) {
	const webhooks, reads, docs = 3, 2, 1
	f := newFleet(t, fleetOpts{kind: k})
	ld := startLoad(t, f, "kill-"+k.Name, loadCfg{webhooks: webhooks, reads: reads, docs: docs})
	rts := startRealtime(t, f.LB.URL, f.login(t, f.LB.URL, 3), 3)
	time.Sleep(500 * time.Millisecond)

	victim := f.Insts[1]
	killed := time.Now()
	victim.Kill()
	detect := f.LB.DetectionBound(t)
	time.Sleep(detect + 500*time.Millisecond)
	quiet := time.Now()
	time.Sleep(time.Second) // the balancer sends nothing to the dead instance now
	late := ld.failuresOutside(killed, quiet)
	inWindow := ld.failed.Load() - int64(len(late))

	if err := victim.Restart(); err != nil {
		t.Fatalf("restart of %s: %v", victim.Name, err)
	}
	back := time.Now()
	before := apiRequests(victim)
	rejoin := f.LB.RejoinBound(t) + time.Second
	var rejoined time.Duration
	if waitFor(rejoin, func() bool { return apiRequests(victim) > before }) {
		rejoined = time.Since(back)
	} else {
		t.Errorf("%s served no request through %s within %v of its restart", victim.Name, k.Name, rejoin)
	}
	res, jobs, rt := ld.finish(t, rts, 1)

	late = ld.failuresOutside(killed, quiet)
	if len(late) > 0 {
		t.Errorf("%d failures outside [kill, kill+%v]; want none: %q", len(late), detect+500*time.Millisecond, fmtFailures(late, 10))
	}
	if inWindow > webhooks+reads+docs {
		t.Errorf("%d failures after the kill; want at most %d (one request in flight per worker): %q", inWindow, webhooks+reads+docs, ld.examples(10))
	}
	t.Logf("answers: %v; failures: %q", ld, ld.examples(10))
	summary{Scenario: "sigkill-one/" + k.Name, Requests: ld.sent.Load(), Failures: ld.failed.Load(),
		Ledger: res.String(), Jobs: jobs, Realtime: rt,
		Notes: []string{fmt.Sprintf("failures within %v of the kill: %d (in-flight bound %d)", detect, inWindow, webhooks+reads+docs),
			fmt.Sprintf("rejoined %v after restart (bound %v)", rejoined.Round(time.Millisecond), rejoin)}}.report(t)
}

// apiRequests answers how many /api requests i has answered (0 when down).
func apiRequests(i *harness.Instance) float64 {
	r, err := harness.NewClient().Do("GET", i.URL+"/metrics", nil)
	if err != nil || r.Status != 200 {
		return 0
	}
	return harness.Metric(r.Body, "http_requests_total", `route="/api/`)
}

func fmtFailures(fs []failure, n int) []string {
	var out []string
	for _, f := range fs[:min(n, len(fs))] {
		out = append(out, f.At.Format("15:04:05.000")+" "+f.What)
	}
	return out
}
