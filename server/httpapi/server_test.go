package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

func TestUnmatchedAndLimits(t *testing.T) {
	e := newEnv(t, backends[0])
	wantError(t, e.do("GET", "/nope", ""), 404)
	wantError(t, e.do("GET", "/api/agents/x/y", ""), 404)
	w := e.do("PUT", "/api/agents", "")
	wantError(t, w, 405)
	big := `{"email":"` + strings.Repeat("a", 2<<20) + `","password":"x"}`
	wantError(t, e.do("POST", "/api/login", big), 413)
	wantError(t, e.as(e.a, "POST", "/api/agents", `{"name":"`+strings.Repeat("a", 2<<20)+`"}`), 413)
}

type panickyDocs struct{ server.DocumentStore }

func (panickyDocs) Document(context.Context, string, string) (*server.Document, error) { panic("boom") }

func TestPanicRecovery(t *testing.T) {
	e := newEnv(t, backends[0], func(_ *httpapiConfig, d *httpapiDeps) { d.Documents = panickyDocs{d.Documents} })
	wantError(t, e.as(e.a, "GET", "/api/documents/00000000-0000-0000-0000-000000000000", ""), 500)
	if !strings.Contains(e.logs.String(), "panic serving request") || !strings.Contains(e.logs.String(), "goroutine") {
		t.Errorf("panic not logged with stack: %s", e.logs.String())
	}
	if w := e.as(e.a, "GET", "/api/agents", ""); w.Code != 200 {
		t.Errorf("after panic status = %d; want 200", w.Code)
	}
}

type unavailableAgents struct{ server.AgentStore }

func (unavailableAgents) Agents(context.Context, string) ([]*server.Agent, error) {
	return nil, server.WrapError(server.EUNAVAILABLE, "database pool exhausted", errors.New("acquire timeout"))
}

func TestUnavailableMapsTo503(t *testing.T) {
	e := newEnv(t, backends[0], func(_ *httpapiConfig, d *httpapiDeps) { d.Agents = unavailableAgents{d.Agents} })
	w := e.as(e.a, "GET", "/api/agents", "")
	wantError(t, w, 503)
	if ra := string(w.Header().Peek("Retry-After")); ra != "1" {
		t.Errorf("Retry-After = %q; want 1", ra)
	}
	if strings.Contains(w.Body.String(), "acquire timeout") {
		t.Errorf("cause leaked to client: %s", w.Body.String())
	}
}

func TestHealth(t *testing.T) {
	e := newEnv(t, backends[0], func(c *httpapiConfig, _ *httpapiDeps) { c.HealthCacheTTL = -1 })
	if w := e.do("GET", "/health/live", ""); w.Code != 200 || w.Body.String() != `{"status":"ok"}` {
		t.Errorf("live = %d %s", w.Code, w.Body.String())
	}
	type health struct {
		Status  string
		Uptime  *int64
		Version string
		Checks  map[string]struct {
			Status       string
			ResponseTime *int64
			Message      string
		}
		Details map[string]any
	}
	e.srv.AddHealthDetail("workers", func() any { return []int{1, 2} })
	w := e.do("GET", "/health", "")
	h := decode[health](t, w)
	if w.Code != 200 || h.Status != "healthy" || h.Version != "test" || h.Uptime == nil || h.Details["workers"] == nil {
		t.Errorf("health = %d %+v; want 200 healthy with version, uptime, details", w.Code, h)
	}
	for _, name := range []string{"database", "cache", "queue", "memory"} {
		if h.Checks[name].Status != "pass" {
			t.Errorf("check %s = %+v; want pass", name, h.Checks[name])
		}
	}
	if !strings.HasPrefix(h.Checks["memory"].Message, "Heap: ") || h.Checks["cache"].ResponseTime == nil {
		t.Errorf("checks = %+v; want Heap message and responseTime", h.Checks)
	}
	if w := e.do("GET", "/health/ready", ""); w.Code != 200 || !strings.Contains(w.Body.String(), `"ready"`) {
		t.Errorf("ready = %d %s; want 200 ready", w.Code, w.Body.String())
	}

	e.cache.fakePinger.set(errors.New("cache down"))
	if w := e.do("GET", "/health/ready", ""); w.Code != 200 || !strings.Contains(w.Body.String(), "degraded") || !strings.Contains(w.Body.String(), "cache") {
		t.Errorf("ready with cache down = %d %s; want 200 degraded naming cache", w.Code, w.Body.String())
	}
	if h := decode[health](t, e.do("GET", "/health", "")); h.Status != "degraded" || h.Checks["cache"].Status != "warn" {
		t.Errorf("health with cache down = %+v; want degraded, cache warn", h)
	}
	e.cache.fakePinger.set(nil)

	e.db.set(errors.New("connection refused"))
	w = e.do("GET", "/health/ready", "")
	if w.Code != 503 || !strings.Contains(w.Body.String(), "database") {
		t.Errorf("ready with db down = %d %s; want 503 naming database", w.Code, w.Body.String())
	}
	w = e.do("GET", "/health", "")
	if h := decode[health](t, w); w.Code != 503 || h.Status != "unhealthy" || h.Checks["database"].Status != "fail" {
		t.Errorf("health with db down = %d %+v; want 503 unhealthy", w.Code, h)
	}
	e.db.set(nil)

	e.srv.SetDraining()
	if w := e.do("GET", "/health/ready", ""); w.Code != 503 || !strings.Contains(w.Body.String(), "draining") {
		t.Errorf("ready while draining = %d %s; want 503 draining", w.Code, w.Body.String())
	}
	if w := e.do("GET", "/health/live", ""); w.Code != 200 {
		t.Errorf("live while draining = %d; want 200", w.Code)
	}
}

var hitsRe = regexp.MustCompile(`(?m)^cache_hits_total (\S+)$`)

func metricValue(tb testing.TB, text string, re *regexp.Regexp) float64 {
	tb.Helper()
	m := re.FindStringSubmatch(text)
	if m == nil {
		tb.Fatalf("metric %s not found in:\n%s", re, text)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, backends[0])
	id := e.a.agent.ID
	for i := 0; i < 3; i++ {
		e.as(e.a, "GET", "/api/agents/"+id, "")
	}
	e.do("GET", "/no/such/"+id, "")
	w := e.do("GET", "/metrics", "")
	text := w.Body.String()
	if w.Code != 200 {
		t.Fatalf("metrics = %d", w.Code)
	}
	for _, want := range []string{
		`http_requests_total{code="200",method="GET",route="/api/agents/:id"} 3`,
		`http_request_duration_seconds_count{method="GET",route="/api/agents/:id"} 3`,
		`http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		"process_uptime_seconds ", "process_memory_heap_used_bytes ", "cache_misses_total ", "cache_local_hits_total ",
		"cache_entries ", "queue_pending_total ", "queue_processing_total ", "queue_pending_jobs ", "queue_failed_jobs ", "go_goroutines ", "process_cpu_seconds_total ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(text, id) {
		t.Errorf("metrics contain a raw id %s", id)
	}
	hits := metricValue(t, text, hitsRe)
	if hits < 2 {
		t.Errorf("cache_hits_total = %v; want >= 2 after 3 reads of one agent", hits)
	}
	for i := 0; i < 3; i++ {
		e.do("GET", "/health", "")
		e.do("GET", "/health/ready", "")
	}
	if again := metricValue(t, e.do("GET", "/metrics", "").Body.String(), hitsRe); again != hits {
		t.Errorf("cache_hits_total moved from %v to %v over health checks and a scrape; want unchanged", hits, again)
	}
}

type fakeRealtime struct {
	mu                 sync.Mutex
	org, user, session string
	calls              int
	closed             []string // "org/user/session" of each CloseUser
}

func (f *fakeRealtime) ServeWS(_ context.Context, c *app_RequestContext, orgID, userID, session string) {
	f.mu.Lock()
	f.org, f.user, f.session, f.calls = orgID, userID, session, f.calls+1
	f.mu.Unlock()
	c.SetStatusCode(101)
}

func (f *fakeRealtime) CloseUser(orgID, userID, session string) int {
	f.mu.Lock()
	f.closed = append(f.closed, orgID+"/"+userID+"/"+session)
	f.mu.Unlock()
	return 1
}

func TestRealtimeAuth(t *testing.T) {
	rt := &fakeRealtime{}
	e := newEnv(t, backends[0], func(_ *httpapiConfig, d *httpapiDeps) { d.Realtime = rt })
	wantError(t, e.do("GET", "/ws/realtime-sync", ""), 401)
	wantError(t, e.do("GET", "/ws/realtime-sync?token=forged.token", ""), 401)
	wantError(t, e.do("GET", "/api/realtime/token", ""), 401)
	if rt.calls != 0 {
		t.Fatalf("ServeWS called %d times for bad credentials; want 0", rt.calls)
	}
	tok := decode[struct{ Token string }](t, e.as(e.b, "GET", "/api/realtime/token", "")).Token
	// The org in the query is ignored: the identity decides.
	w := e.do("GET", "/ws/realtime-sync?token="+tok+"&organizationId="+e.a.org.ID+"&userId="+e.a.user.ID, "")
	if w.Code != 101 || rt.org != e.b.org.ID || rt.user != e.b.user.ID {
		t.Errorf("token upgrade = %d org %s user %s; want 101 for B", w.Code, rt.org, rt.user)
	}
	if w := e.as(e.a, "GET", "/ws/realtime-sync", ""); w.Code != 101 || rt.org != e.a.org.ID {
		t.Errorf("cookie upgrade = %d org %s; want 101 for A", w.Code, rt.org)
	}
	e3 := newEnv(t, backends[0], func(c *httpapiConfig, d *httpapiDeps) {
		d.Realtime = rt
		c.AllowedOrigins = []string{"https://app.example.com"}
	})
	if w := e3.as(e3.a, "GET", "/ws/realtime-sync", "", "Origin: https://evil.example.com"); w.Code != 403 {
		t.Errorf("foreign origin = %d; want 403", w.Code)
	}
	if w := e3.as(e3.a, "GET", "/ws/realtime-sync", "", "Origin: https://app.example.com"); w.Code != 101 {
		t.Errorf("allowed origin = %d; want 101", w.Code)
	}
	e2 := newEnv(t, backends[0])
	wantError(t, e2.as(e2.a, "GET", "/ws/realtime-sync", ""), 503)
}

// slowDocs delays Document so requests are in flight during Shutdown.
type slowDocs struct {
	server.DocumentStore
	started chan struct{}
}

func (s slowDocs) Document(ctx context.Context, org, id string) (*server.Document, error) {
	s.started <- struct{}{}
	time.Sleep(300 * time.Millisecond)
	return s.DocumentStore.Document(ctx, org, id)
}

func TestShutdownFinishesInFlight(t *testing.T) {
	started := make(chan struct{}, 16)
	e, base := serveEnv(t, backends[0], func(c *httpapiConfig, d *httpapiDeps) {
		c.ShutdownTimeout = 5 * time.Second
		d.Documents = slowDocs{DocumentStore: d.Documents, started: started}
	})
	const n = 8
	results := make(chan string, n)
	for i := 0; i < n; i++ {
		go func() {
			req, _ := http.NewRequest("GET", base+"/api/documents/00000000-0000-0000-0000-000000000000", nil)
			req.Header.Set("Cookie", e.a.cookie)
			tr := &http.Transport{DisableKeepAlives: true}
			resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
			if err != nil {
				results <- err.Error()
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			results <- fmt.Sprintf("%d %d", resp.StatusCode, len(b))
		}()
	}
	for i := 0; i < n; i++ {
		select {
		case <-started:
		case <-time.After(5 * time.Second):
			t.Fatal("requests did not start")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if !e.srv.Draining() {
		t.Errorf("Draining() = false after Shutdown")
	}
	for i := 0; i < n; i++ {
		if r := <-results; !strings.HasPrefix(r, "404 ") {
			t.Errorf("in-flight request answered %q; want a complete 404 answer", r)
		}
	}
	if resp, err := http.Get(base + "/health/live"); err == nil {
		resp.Body.Close()
		t.Errorf("server still accepts after Shutdown")
	}
}

func TestHealthDisabled(t *testing.T) {
	e := newEnv(t, backends[0], func(c *httpapiConfig, _ *httpapiDeps) { c.DisableHealth = true })
	for _, p := range []string{"/health/live", "/health/ready", "/health"} {
		if w := e.do("GET", p, ""); w.Code != 404 {
			t.Errorf("GET %s with DisableHealth = %d; want 404", p, w.Code)
		}
	}
	if w := e.do("GET", "/metrics", ""); w.Code != 200 {
		t.Errorf("GET /metrics = %d; want 200 (only health is switched off)", w.Code)
	}
}
