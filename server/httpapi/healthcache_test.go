package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// countPinger counts pings and fails when err is set.
type countPinger struct {
	mu  sync.Mutex
	n   int
	err error
}

func (p *countPinger) Ping(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	return p.err
}

func (p *countPinger) get() (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n, p.err
}

// TestHealthCached: 50 calls of GET /health (8 at a time) ping the
// database once per second of the run, not once per call; a failure shows
// once the snapshot expires.
func TestHealthCached(t *testing.T) {
	db := &countPinger{}
	e := newEnv(t, backends[0], func(c *httpapiConfig, d *httpapiDeps) { d.DB = db })
	start := time.Now()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 / 8 {
				if w := e.do("GET", "/health", ""); w.Code != 200 {
					t.Errorf("health = %d %s", w.Code, w.Body.String())
				}
			}
		})
	}
	wg.Wait()
	pings, _ := db.get()
	if most := 1 + int(time.Since(start)/time.Second); pings < 1 || pings > most {
		t.Errorf("database pinged %d times for 48 calls in %v; want 1 to %d", pings, time.Since(start), most)
	}

	e2 := newEnv(t, backends[0], func(c *httpapiConfig, d *httpapiDeps) { d.DB = db; c.HealthCacheTTL = 20 * time.Millisecond })
	if w := e2.do("GET", "/health", ""); w.Code != 200 {
		t.Fatalf("health = %d", w.Code)
	}
	db.mu.Lock()
	db.err = errors.New("connection refused")
	db.mu.Unlock()
	eventually(t, "health to report the database down", func() bool { return e2.do("GET", "/health", "").Code == 503 })
}

// TestHealthOnAdmin: with the admin listener on, the public port keeps
// /health/live and /health/ready and no longer serves the detail, which
// HealthHandler serves.
func TestHealthOnAdmin(t *testing.T) {
	e := newEnv(t, backends[0], func(c *httpapiConfig, _ *httpapiDeps) { c.HealthOnAdmin = true })
	for _, tc := range []struct {
		path string
		want int
	}{{"/health/live", 200}, {"/health/ready", 200}, {"/health", 404}} {
		if w := e.do("GET", tc.path, ""); w.Code != tc.want {
			t.Errorf("public GET %s = %d; want %d", tc.path, w.Code, tc.want)
		}
	}
	rec := httptest.NewRecorder()
	e.srv.HealthHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/health", nil))
	var h struct {
		Status string
		Checks map[string]struct{ Status string }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &h); err != nil || rec.Code != 200 || h.Status != "healthy" || h.Checks["database"].Status != "pass" {
		t.Errorf("admin /health = %d %s (%v); want 200 healthy with checks", rec.Code, rec.Body.String(), err)
	}
	rec = httptest.NewRecorder()
	e.srv.HealthHandler().ServeHTTP(rec, httptest.NewRequest("POST", "/health", nil))
	if rec.Code != 405 {
		t.Errorf("admin POST /health = %d; want 405", rec.Code)
	}
}
