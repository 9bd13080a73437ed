package faults_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/integration/lb"
)

// stalenessBound is the documented bound (README, "Cache coherence"): once
// a write is acknowledged, no instance serves the old value later than this.
const stalenessBound = 100 * time.Millisecond

// TestCacheStaleness: with client-side caching (CACHE_PROVIDER=redis) and
// webhook load through nginx, an agent is renamed through the balancer 20
// times; after each acknowledged PATCH every instance is read directly in a
// tight loop until it shows the new name. The staleness of a round is the
// time from the PATCH's answer to the last instance showing the new name;
// no instance may answer the old name after stalenessBound.
func TestCacheStaleness(t *testing.T) {
	const rounds = 20
	f := newFleet(t, fleetOpts{kind: lb.Nginx})
	ld := startLoad(t, f, "staleness", loadCfg{webhooks: 2, pace: 20 * time.Millisecond})
	c := f.login(t, f.LB.URL, 0)
	agent := f.Org.Agents[1]
	var worst []time.Duration
	for round := range rounds {
		// Every instance holds the current value (a local copy after a read).
		for _, i := range f.Insts {
			for range 3 {
				c.Must(t, 200, "GET", i.URL+"/api/agents/"+agent.ID, nil)
			}
		}
		name := fmt.Sprintf("staleness %d", round)
		c.Must(t, 200, "PATCH", f.LB.URL+"/api/agents/"+agent.ID, map[string]string{"name": name})
		acked := time.Now()
		lags := make([]time.Duration, len(f.Insts))
		var wg sync.WaitGroup
		for k, i := range f.Insts {
			wg.Go(func() {
				for time.Since(acked) < 2*time.Second {
					r, err := c.Do("GET", i.URL+"/api/agents/"+agent.ID, nil)
					if err == nil && r.Status == 200 {
						var a struct{ Name string }
						if json.Unmarshal(r.Body, &a) == nil && a.Name == name {
							lags[k] = time.Since(acked)
							return
						}
					}
				}
				lags[k] = -1
			})
		}
		wg.Wait()
		if slices.Contains(lags, -1) {
			t.Fatalf("round %d: an instance still served the old name 2s after the PATCH: %v", round, lags)
		}
		worst = append(worst, slices.Max(lags))
	}
	ld.halt()
	res := ld.led.verify(t, f.LB.URL, f.DSN, 10*time.Second)
	slices.Sort(worst)
	bound := worst[len(worst)-1]
	if bound > stalenessBound {
		t.Errorf("staleness after an acknowledged write: max %v over %d rounds; want at most %v (%v)", bound, rounds, stalenessBound, worst)
	}
	summary{Scenario: "cache-staleness/nginx", Requests: ld.sent.Load() + int64(rounds), Failures: ld.failed.Load(),
		Ledger: res.String(), Staleness: fmt.Sprintf("max %v p50 %v over %d rounds (bound %v)", bound.Round(time.Microsecond), worst[len(worst)/2].Round(time.Microsecond), rounds, stalenessBound)}.report(t)
}
