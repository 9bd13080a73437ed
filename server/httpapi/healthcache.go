package httpapi

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
)

// DefaultHealthCacheTTL is how long GET /health reuses its checks.
const DefaultHealthCacheTTL = time.Second

// healthSnapshot is the costly part of GET /health: three dependency pings
// and a stop-the-world memory read. It is taken at most once per
// Config.HealthCacheTTL per process, however often /health is asked;
// concurrent askers of an expired snapshot wait for the one refresh.
type healthSnapshot struct {
	mu                       sync.Mutex
	at                       time.Time
	db, cache, queue, memory check
}

// healthChecks answers the snapshot's checks, refreshing it when older
// than Config.HealthCacheTTL (a negative TTL refreshes on every call).
func (s *Server) healthChecks(ctx context.Context) (db, cache, queue, memory check) {
	h := &s.healthSnap
	h.mu.Lock()
	defer h.mu.Unlock()
	if s.cfg.HealthCacheTTL < 0 || h.at.IsZero() || time.Since(h.at) >= s.cfg.HealthCacheTTL {
		h.db, h.cache, h.queue = s.dependencyChecks(ctx)
		h.memory = memoryCheck()
		h.at = time.Now()
	}
	return h.db, h.cache, h.queue, h.memory
}

// handleHealth: GET /health on the public port (unless HealthOnAdmin).
func (s *Server) handleHealth(ctx context.Context, c *app.RequestContext) {
	status, ans := s.health(ctx)
	s.writeJSON(ctx, c, status, ans)
}

// HealthHandler serves GET /health for a listener outside hertz (the admin
// listener of ADMIN_ADDR): the same answer as the public route.
func (s *Server) HealthHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, `{"error":{"code":"method_not_allowed","message":"method not allowed on this route"}}`, http.StatusMethodNotAllowed)
			return
		}
		status, ans := s.health(r.Context())
		b, err := jsonAPI.Marshal(ans)
		if err != nil {
			http.Error(w, `{"error":{"code":"internal","message":"internal error"}}`, http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", string(contentTypeJSON))
		w.WriteHeader(status)
		_, _ = w.Write(b)
	})
}
