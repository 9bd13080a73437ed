package httpapi

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/echosenseix/echosenseix/server"
)

// HealthCheckTimeout bounds each dependency check of /health and /health/ready.
const HealthCheckTimeout = time.Second

// Check states in /health.
const (
	checkPass = "pass"
	checkWarn = "warn"
	checkFail = "fail"
)

type healthDetail struct {
	name string
	fn   func() any
}

// AddHealthDetail adds fn's answer under name in GET /health (cluster mode
// adds its workers). fn runs on every /health request and must be quick.
func (s *Server) AddHealthDetail(name string, fn func() any) {
	s.detailMu.Lock()
	s.details = append(s.details, healthDetail{name: name, fn: fn})
	s.detailMu.Unlock()
}

// check is one dependency's state in /health.
type check struct {
	Status       string `json:"status"`
	ResponseTime *int64 `json:"responseTime,omitempty"` // ms
	Message      string `json:"message,omitempty"`
}

var liveBody = []byte(`{"status":"ok"}`)

// handleLive: GET /health/live, always 200.
func (s *Server) handleLive(_ context.Context, c *app.RequestContext) {
	writeJSONBytes(c, 200, liveBody)
}

// pingCheck times one Ping; a nil pinger passes with msg.
func pingCheck(ctx context.Context, p server.Pinger, nilMsg string) check {
	if p == nil {
		return check{Status: checkPass, Message: nilMsg}
	}
	ctx, cancel := context.WithTimeout(ctx, HealthCheckTimeout)
	defer cancel()
	start := time.Now()
	err := p.Ping(ctx)
	ms := time.Since(start).Milliseconds()
	if err != nil {
		return check{Status: checkFail, ResponseTime: &ms, Message: err.Error()}
	}
	return check{Status: checkPass, ResponseTime: &ms}
}

// queuePinger adapts a Queue without Ping: Stats answering is its health.
type queuePinger struct{ q server.Queue }

func (p queuePinger) Ping(ctx context.Context) error {
	_, err := p.q.Stats(ctx)
	return err
}

// dependencyChecks runs the database, cache and queue checks concurrently.
// They use Ping, never Cache.Get, so they do not move hit counters.
func (s *Server) dependencyChecks(ctx context.Context) (db, cache, queue check) {
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); db = pingCheck(ctx, s.d.DB, "in-memory store") }()
	go func() {
		defer wg.Done()
		p, _ := s.d.Cache.(server.Pinger)
		cache = pingCheck(ctx, p, "")
	}()
	go func() {
		defer wg.Done()
		p, ok := s.d.Queue.(server.Pinger)
		if !ok {
			p = queuePinger{s.d.Queue}
		}
		queue = pingCheck(ctx, p, "")
	}()
	wg.Wait()
	return db, cache, queue
}

type readyAnswer struct {
	Status  string   `json:"status"`
	Failing []string `json:"failing,omitempty"`
	Message string   `json:"message,omitempty"`
}

// handleReady: GET /health/ready. 503 only when this instance cannot serve
// (draining, database down); a failing cache or queue answers 200
// "degraded" so one cache outage does not pull every instance out of the
// load balancer at once.
func (s *Server) handleReady(ctx context.Context, c *app.RequestContext) {
	if s.Draining() {
		s.writeJSON(ctx, c, 503, readyAnswer{Status: "unavailable", Failing: []string{"draining"}, Message: "server is shutting down"})
		return
	}
	db, cache, queue := s.dependencyChecks(ctx)
	if db.Status == checkFail {
		c.Response.Header.Set("Retry-After", "1")
		s.writeJSON(ctx, c, 503, readyAnswer{Status: "unavailable", Failing: []string{"database"}, Message: db.Message})
		return
	}
	ans := readyAnswer{Status: "ready"}
	for _, f := range []struct {
		name string
		c    check
	}{{"cache", cache}, {"queue", queue}} {
		if f.c.Status == checkFail {
			ans.Status = "degraded"
			ans.Failing = append(ans.Failing, f.name)
		}
	}
	s.writeJSON(ctx, c, 200, ans)
}

type healthAnswer struct {
	Status    string           `json:"status"`
	Timestamp time.Time        `json:"timestamp"`
	Uptime    int64            `json:"uptime"` // s
	Version   string           `json:"version"`
	Checks    map[string]check `json:"checks"`
	Details   map[string]any   `json:"details,omitempty"`
}

// health is GET /health, the guide's shape. healthy and degraded answer
// 200, unhealthy (database down or draining) 503. The checks come from the
// one-second snapshot (healthcache.go).
func (s *Server) health(ctx context.Context) (int, healthAnswer) {
	db, cache, queue, mem := s.healthChecks(ctx)
	if cache.Status == checkFail {
		cache.Status = checkWarn
	}
	if queue.Status == checkFail {
		queue.Status = checkWarn
	}
	ans := healthAnswer{Status: "healthy", Timestamp: time.Now().UTC(), Uptime: int64(time.Since(s.start).Seconds()),
		Version: s.cfg.Version, Checks: map[string]check{"database": db, "cache": cache, "queue": queue, "memory": mem}}
	switch {
	case db.Status == checkFail || s.Draining():
		ans.Status = "unhealthy"
	case cache.Status != checkPass || queue.Status != checkPass:
		ans.Status = "degraded"
	}
	s.addHostCheck(&ans)
	s.detailMu.Lock()
	details := append([]healthDetail(nil), s.details...)
	s.detailMu.Unlock()
	if len(details) > 0 {
		ans.Details = make(map[string]any, len(details))
		for _, d := range details {
			ans.Details[d.name] = d.fn()
		}
	}
	status := 200
	if ans.Status == "unhealthy" {
		status = 503
	}
	return status, ans
}

// memoryCheck reports heap use as the guide does ("Heap: N% used"); over
// 90 % of the heap the runtime holds warns.
func memoryCheck() check {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	pct := 0
	if ms.HeapSys > 0 {
		pct = int(ms.HeapAlloc * 100 / ms.HeapSys)
	}
	st := checkPass
	if pct > 90 {
		st = checkWarn
	}
	return check{Status: st, Message: fmt.Sprintf("Heap: %d%% used", pct)}
}
