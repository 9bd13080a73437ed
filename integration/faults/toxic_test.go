package faults_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/rs/zerolog"

	"github.com/echosenseix/echosenseix/integration/lb"
)

// Settings of the fault-injection scenario: the timeouts that must fire.
const (
	toxicRedisTimeout   = 300 * time.Millisecond // REDIS_TIMEOUT
	toxicAcquireTimeout = time.Second            // DATABASE_ACQUIRE_TIMEOUT
	toxicStatement      = 2 * time.Second        // DATABASE_STATEMENT_TIMEOUT
	phaseLength         = 2 * time.Second
	recoveryBound       = 5 * time.Second
)

// toxic is one TCP proxy of toxiproxy, embedded in the test.
type toxic struct {
	p *toxiproxy.Proxy
}

func newToxic(t *testing.T, srv *toxiproxy.ApiServer, name, upstream string) *toxic {
	t.Helper()
	p := toxiproxy.NewProxy(srv, name, "127.0.0.1:0", upstream)
	if err := p.Start(); err != nil {
		t.Fatalf("toxiproxy %s: %v", name, err)
	}
	t.Cleanup(p.Stop)
	return &toxic{p: p}
}

// add installs a toxic (toxiproxy's JSON: type, stream, attributes).
func (x *toxic) add(t *testing.T, js string) {
	t.Helper()
	if _, err := x.p.Toxics.AddToxicJson(strings.NewReader(js)); err != nil {
		t.Fatalf("toxiproxy %s: add %s: %v", x.p.Name, js, err)
	}
}

func (x *toxic) reset() { x.p.Toxics.ResetToxics(context.Background()) }

// cut closes every connection through the proxy and refuses new ones for
// d, then accepts again on the same address.
func (x *toxic) cut(t *testing.T, d time.Duration) {
	t.Helper()
	x.p.Stop()
	time.Sleep(d)
	if err := x.p.Start(); err != nil {
		t.Fatalf("toxiproxy %s: restart: %v", x.p.Name, err)
	}
}

// TestToxicLinks: the fleet reaches Postgres and Redis through toxiproxy
// (embedded: github.com/Shopify/toxiproxy/v2) while load runs through
// nginx. Each phase lasts 2 s: Redis replies 5 s late (past REDIS_TIMEOUT),
// Redis connections cut, Postgres replies 1.5 s late, Postgres connections
// cut, Postgres black-holed (bytes accepted, nothing answered). Asserted per
// phase: no request waits longer than the timeout that must fire plus 1 s
// of slack (nothing hangs), and within 5 s of the fault's removal every
// request succeeds again; the webhook ledger is whole at the end and every
// accepted document is processed.
func TestToxicLinks(t *testing.T) {
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())
	var pgX, redisX *toxic
	f := newFleet(t, fleetOpts{kind: lb.Nginx, persistentRedis: true,
		env: map[string]string{
			"REDIS_TIMEOUT":              fmt.Sprint(toxicRedisTimeout.Milliseconds()),
			"DATABASE_ACQUIRE_TIMEOUT":   fmt.Sprint(toxicAcquireTimeout.Milliseconds()),
			"DATABASE_STATEMENT_TIMEOUT": fmt.Sprint(toxicStatement.Milliseconds()),
		},
		dbURL: func(dsn string) string {
			u, err := url.Parse(dsn)
			if err != nil {
				t.Fatal(err)
			}
			pgX = newToxic(t, srv, "postgres", u.Host)
			u.Host = pgX.p.Listen
			return u.String()
		},
		redisURL: func(addr string) string {
			redisX = newToxic(t, srv, "redis", addr)
			return "redis://" + redisX.p.Listen + "/0"
		},
	})
	ld := startLoad(t, f, "toxic", loadCfg{webhooks: 3, reads: 2, docs: 1, pace: 20 * time.Millisecond})
	time.Sleep(500 * time.Millisecond)

	type phase struct {
		name  string
		bound time.Duration // longest wait allowed for one answer
		fault func()
		clear func()
	}
	phases := []phase{
		// A request makes up to four Redis calls (session, throttle, cache,
		// invalidation); each must give up after REDIS_TIMEOUT, well before
		// the 5 s reply.
		{"redis latency 5s", 4*toxicRedisTimeout + time.Second,
			func() {
				redisX.add(t, `{"name":"lat","type":"latency","stream":"downstream","attributes":{"latency":5000}}`)
			}, redisX.reset},
		{"redis cut", 4*toxicRedisTimeout + time.Second,
			func() { redisX.cut(t, phaseLength) }, func() {}},
		{"postgres latency 1.5s", toxicAcquireTimeout + 3*1500*time.Millisecond + time.Second,
			func() {
				pgX.add(t, `{"name":"lat","type":"latency","stream":"downstream","attributes":{"latency":1500}}`)
			}, pgX.reset},
		{"postgres cut", toxicAcquireTimeout + time.Second,
			func() { pgX.cut(t, phaseLength) }, func() {}},
		{"postgres black hole", toxicStatement + time.Second,
			func() {
				pgX.add(t, `{"name":"hole","type":"timeout","stream":"downstream","attributes":{"timeout":0}}`)
			}, pgX.reset},
	}
	var notes []string
	var hung int
	var lastClear time.Time
	for _, ph := range phases {
		from := time.Now()
		ph.fault()
		if time.Since(from) < phaseLength {
			time.Sleep(phaseLength - time.Since(from))
		}
		ph.clear()
		cleared := time.Now()
		// Recovered: a clean second of answers, within recoveryBound.
		var back time.Duration = -1
		waitFor(recoveryBound+time.Second, func() bool {
			if time.Since(cleared) < time.Second {
				return false
			}
			if n, failed, _ := ld.window(time.Now().Add(-time.Second), time.Now()); n > 0 && failed == 0 {
				back = time.Since(cleared) - time.Second
				return true
			}
			return false
		})
		n, failed, slowest := ld.window(from, time.Now())
		notes = append(notes, fmt.Sprintf("%s: %d answers, %d failed, slowest %v (bound %v), clean again %v after",
			ph.name, n, failed, slowest.Round(time.Millisecond), ph.bound, back.Round(time.Millisecond)))
		if slowest > ph.bound {
			hung++
			t.Errorf("%s: slowest answer %v; want at most %v (the timeout must fire)", ph.name, slowest, ph.bound)
		}
		if back < 0 || back > recoveryBound {
			t.Errorf("%s: no clean second of answers within %v of the fault's removal", ph.name, recoveryBound)
		}
		lastClear = time.Now()
	}
	ld.halt()
	if _, failed, _ := ld.window(lastClear, time.Now()); failed > 0 {
		t.Errorf("%d failures after the last recovery", failed)
	}
	res := ld.led.verify(t, f.LB.URL, f.DSN, 15*time.Second)
	jobs := ld.verifyJobs(t, 20*time.Second)
	t.Logf("answers: %v; failures: %q", ld, ld.examples(10))
	summary{Scenario: "toxic-links/nginx", Requests: ld.sent.Load(), Failures: ld.failed.Load(),
		Ledger: res.String(), Jobs: jobs, Notes: notes}.report(t)
}
