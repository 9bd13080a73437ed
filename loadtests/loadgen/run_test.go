package loadgen

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/loadtests/tiers"
)

func TestRunFixedCountsRequestsAndErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			http.Error(w, "no", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	res, err := RunFixed(context.Background(), FixedConfig{URL: srv.URL + "/", Conns: 4, Duration: 500 * time.Millisecond, Warmup: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests < 100 || res.Errors != 0 || res.RPS <= 0 || res.Latency.P99 <= 0 {
		t.Errorf("got requests %d errors %d rps %v p99 %v; want >= 100, 0, > 0, > 0", res.Requests, res.Errors, res.RPS, res.Latency.P99)
	}
	if res.GeneratorCPUSeconds <= 0 || len(res.Timeseries) == 0 {
		t.Errorf("got generator CPU %v, %d seconds of timeseries; want > 0 and > 0", res.GeneratorCPUSeconds, len(res.Timeseries))
	}
	res, err = RunFixed(context.Background(), FixedConfig{URL: srv.URL + "/fail", Conns: 2, Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors == 0 || res.Errors != res.ErrorKinds["status_503"] {
		t.Errorf("got errors %d kinds %v; want all status_503", res.Errors, res.ErrorKinds)
	}
}

func TestRunFixedConnectError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	res, err := RunFixed(context.Background(), FixedConfig{URL: url + "/", Conns: 1, Duration: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.ErrorKinds[ErrConnect] == 0 {
		t.Errorf("got error kinds %v; want connect errors", res.ErrorKinds)
	}
}

func TestRunFixedBodyFunc(t *testing.T) {
	seen := make(chan string, 1000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case seen <- r.Header.Get("X-Seq"):
		default:
		}
	}))
	defer srv.Close()
	_, err := RunFixed(context.Background(), FixedConfig{URL: srv.URL + "/", Method: "POST", Conns: 1, Duration: 200 * time.Millisecond,
		BodyFunc: func(conn int, seq uint64) ([]byte, http.Header) {
			return []byte("x"), http.Header{"X-Seq": {fmt.Sprint(seq)}}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if first, second := <-seen, <-seen; first != "0" || second != "1" {
		t.Errorf("got X-Seq %q, %q; want 0, 1", first, second)
	}
}

// TestOpenLoopIncludesScheduleDelay: the server answers one request at a
// time after 50 ms; at 100 requests/s over one connection requests queue,
// and an open-loop generator must report latencies far above 50 ms (a
// closed-loop one would report ~50 ms: coordinated omission).
func TestOpenLoopIncludesScheduleDelay(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond)
	}))
	defer srv.Close()
	res, err := RunRate(context.Background(), RateConfig{URL: srv.URL + "/", Rate: 100, Conns: 1, Duration: time.Second, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// About 20 are served in 1 s; request k waits ~k*40 ms more than it was meant to.
	if res.Latency.Max < 400 || res.Latency.P50 < 100 {
		t.Errorf("got p50 %.1f ms max %.1f ms; want p50 >= 100 and max >= 400 (schedule delay included)", res.Latency.P50, res.Latency.Max)
	}
	closed, err := RunFixed(context.Background(), FixedConfig{URL: srv.URL + "/", Conns: 1, Duration: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if closed.Latency.P50 > 90 || res.Latency.P50 < 2*closed.Latency.P50 {
		t.Errorf("closed loop p50 %.1f ms, open loop p50 %.1f ms; want about 50 (service time only) and over twice that",
			closed.Latency.P50, res.Latency.P50)
	}
}

func TestOpenLoopRateIsHeld(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { served.Add(1) }))
	defer srv.Close()
	res, err := RunRate(context.Background(), RateConfig{URL: srv.URL + "/", Rate: 500, Conns: 8, Duration: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// Requests still in flight when the second ends are not recorded, so
	// count what the server received: the schedule itself.
	if got := served.Load(); got < 450 || got > 501 {
		t.Errorf("server got %d requests at 500/s for 1 s; want about 500", got)
	}
	if res.Requests > served.Load() {
		t.Errorf("recorded %d requests; the server got only %d", res.Requests, served.Load())
	}
}

func smokeTier(t *testing.T) tiers.Tier {
	tr, err := tiers.Load("smoke")
	if err != nil {
		t.Fatal(err)
	}
	tr.Users, tr.Sessions, tr.RampSeconds, tr.HoldSeconds, tr.ThinkSeconds = 20, 5, 0.5, 1.5, 0.5
	tr.WebhooksPerSecond, tr.HTTPConns, tr.WebhookConns = 20, 8, 2
	return tr
}

func TestRunTierAgainstFakeAPI(t *testing.T) {
	api, srv := newFakeAPI(t)
	tr := smokeTier(t)
	res, err := Run(context.Background(), RunConfig{TierConfig: TierConfig{Tier: tr, BaseURL: srv.URL, Seed: testSeed(5)}})
	if err != nil {
		t.Fatal(err)
	}
	Evaluate(res, tr.Thresholds, tr.Realtime, tr.Users)
	if got := api.logins.Load(); got != 5 {
		t.Errorf("got %d logins; want 5 (one per session)", got)
	}
	if api.unauth.Load() != 0 || api.badSigs.Load() != 0 {
		t.Errorf("got %d unauthenticated pages, %d bad signatures; want 0, 0", api.unauth.Load(), api.badSigs.Load())
	}
	if got := api.sockets.Load(); got != 20 {
		t.Errorf("got %d sockets; want 20", got)
	}
	if res.Sockets.OpenAtEnd != 20 || res.Sockets.CallCompleted < 20 {
		t.Errorf("got sockets %+v; want 20 open at end, >= 20 call_completed", res.Sockets)
	}
	// Hold 1.5 s, think 0.5 s: ~3 page loads per user in the hold.
	if page := res.Types[TypePage]; page == nil || page.Requests < 40 {
		t.Errorf("got page loads %+v; want >= 40", page)
	}
	for _, p := range tr.PageLoad {
		if res.Types[pageType(p)] == nil {
			t.Errorf("no results for %s", pageType(p))
		}
	}
	if wh := res.Types[TypeWebhook]; wh == nil || wh.Requests < 20 || wh.Errors != 0 {
		t.Errorf("got webhooks %+v; want >= 20 without errors", wh)
	}
	if !res.Pass {
		t.Errorf("got FAIL: %+v", res.Checks)
	}
}

func TestRunTierLoginFailureFailsThresholds(t *testing.T) {
	_, srv := newFakeAPI(t)
	tr := smokeTier(t)
	tr.RampSeconds, tr.HoldSeconds, tr.WebhooksPerSecond = 0.2, 0.8, 0
	seed := testSeed(5)
	for i := range seed.Organizations[0].Users {
		seed.Organizations[0].Users[i].Password = "wrong"
	}
	res, err := Run(context.Background(), RunConfig{TierConfig: TierConfig{Tier: tr, BaseURL: srv.URL, Seed: seed}})
	if err != nil {
		t.Fatal(err)
	}
	Evaluate(res, tr.Thresholds, tr.Realtime, tr.Users)
	if res.Pass || ExitCode(res) != ExitFail {
		t.Errorf("got pass %v exit %d; want a failure (no user logged in)", res.Pass, ExitCode(res))
	}
	if res.Types[TypeLogin] == nil || res.Types[TypeLogin].ErrorKinds["status_401"] == 0 {
		t.Errorf("got login stats %+v; want status_401 counted", res.Types[TypeLogin])
	}
}

func TestRunTierTwoWorkerProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	api, srv := newFakeAPI(t)
	tr := smokeTier(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var progress strings.Builder
	res, err := Run(context.Background(), RunConfig{
		TierConfig:    TierConfig{Tier: tr, BaseURL: srv.URL, Seed: testSeed(5), Progress: &syncWriter{w: &progress}},
		Processes:     2,
		WorkerCommand: []string{exe, "-test.run=^$"},
		WorkerEnv:     []string{"LOADGEN_TEST_WORKER=1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Processes != 2 {
		t.Errorf("got %d processes; want 2", res.Processes)
	}
	if got := api.sockets.Load(); got != 20 || res.Sockets.OpenAtEnd != 20 {
		t.Errorf("got %d sockets at the server, %d open at end; want 20, 20", got, res.Sockets.OpenAtEnd)
	}
	var sum int64
	for name, tr := range res.Types {
		if !unjudged[name] {
			sum += tr.Requests
		}
	}
	if sum != res.Requests || int64(res.Hist.Count()) > res.Requests || res.Requests == 0 {
		t.Errorf("merged totals: requests %d, sum of types %d, histogram %d; want equal and > 0", res.Requests, sum, res.Hist.Count())
	}
	if served := api.pages.Load() + api.webhooks.Load(); served < res.Requests {
		t.Errorf("server served %d; merged result claims %d judged requests", served, res.Requests)
	}
	api.mu.Lock()
	convs := len(api.convs)
	api.mu.Unlock()
	if wh := res.Types[TypeWebhook]; wh == nil || int64(convs) < wh.Requests {
		t.Errorf("got %d distinct conversation ids for %+v webhooks; want every id unique", convs, wh)
	}
	if !strings.Contains(progress.String(), "tier smoke x2") {
		t.Errorf("no coordinator progress line in %q", progress.String())
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
