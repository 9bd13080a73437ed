package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/route"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/trace"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/internal/tracing"
)

// routes registers every route with its own pre-resolved metrics.
func (s *Server) routes(e *route.Engine) {
	lim := s.cfg.MaxBodySize
	if !s.cfg.DisableHealth {
		s.handle(e, "GET", "/health/live", 0, s.handleLive)
		s.handle(e, "GET", "/health/ready", 0, s.handleReady)
		if !s.cfg.HealthOnAdmin {
			s.handle(e, "GET", "/health", 0, s.handleHealth)
		}
	}
	s.handle(e, "GET", "/metrics", 0, s.handleMetrics())

	s.handle(e, "POST", "/api/login", lim, s.handleLogin)
	s.handle(e, "POST", "/api/logout", lim, s.authed(s.handleLogout))
	s.handle(e, "POST", "/api/logout-all", lim, s.authed(s.handleLogoutAll))
	s.handle(e, "GET", "/api/auth/user", 0, s.authed(s.handleAuthUser))

	s.handle(e, "GET", "/api/agents", 0, s.authed(s.handleAgents))
	s.handle(e, "POST", "/api/agents", lim, s.authed(s.handleCreateAgent))
	s.handle(e, "GET", "/api/agents/:id", 0, s.authed(s.handleAgent))
	s.handle(e, "PATCH", "/api/agents/:id", lim, s.authed(s.handleUpdateAgent))
	s.handle(e, "DELETE", "/api/agents/:id", lim, s.authed(s.handleDeleteAgent))

	s.handle(e, "GET", "/api/call-logs", 0, s.authed(s.handleCallLogs))
	s.handle(e, "GET", "/api/call-logs/:id", 0, s.authed(s.handleCallLog))
	s.handle(e, "GET", "/api/analytics/organization", 0, s.authed(s.handleAnalytics))

	hook := s.cfg.MaxWebhookSize
	s.handle(e, "POST", "/api/webhooks/elevenlabs/post-call", hook, s.handleWebhook)
	s.handle(e, "POST", "/api/webhooks/post-call", hook, s.handleWebhook)

	doc := s.documentLimit()
	s.handle(e, "POST", "/api/documents", doc, s.authed(s.handleCreateDocument))
	s.handle(e, "POST", "/api/documents/upload", doc, s.authed(s.handleCreateDocument))
	s.handle(e, "GET", "/api/documents/:id", 0, s.authed(s.handleDocument))
	s.handle(e, "GET", "/api/jobs/:id", 0, s.authed(s.handleJob))

	s.handle(e, "GET", "/api/realtime/token", 0, s.authed(s.handleRealtimeToken))
	s.handle(e, "GET", realtimeRoute, 0, s.handleRealtime)

	e.NoRoute(s.unmatched(404, "no such route"))
	e.NoMethod(s.unmatched(405, "method not allowed on this route"))
}

// realtimeRoute is the WebSocket entry on the public port.
const realtimeRoute = "/ws/realtime-sync"

// handle registers h under method and path behind the per-route chain:
// metrics (labelled by the template), panic recovery and admission (body
// limit, media type, origin; limit <= 0: no body beyond MaxBodySize).
func (s *Server) handle(e *route.Engine, method, path string, limit int, h app.HandlerFunc) {
	if limit <= 0 {
		limit = s.cfg.MaxBodySize
	}
	e.Handle(method, path, s.wrap(s.m.route(method, path), s.admissionFor(method, path, limit), h))
}

// documentLimit is the body limit of the document routes: the document
// plus multipart framing.
func (s *Server) documentLimit() int { return s.cfg.MaxDocumentSize + 64<<10 }

func (s *Server) wrap(rm *routeMetrics, a admission, h app.HandlerFunc) app.HandlerFunc {
	ws := rm.route == realtimeRoute
	lim := s.shedFor(rm.route)
	return func(ctx context.Context, c *app.RequestContext) {
		start := time.Now()
		var admitted int64
		var span trace.Span // nil with tracing off
		if tracing.Enabled() {
			ctx, span = startSpan(ctx, c, rm)
		}
		defer func() {
			if admitted != 0 {
				lim.Release(admitted)
			}
			if r := recover(); r != nil {
				s.log.LogAttrs(ctx, slog.LevelError, "panic serving request", slog.String("route", rm.route),
					slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
				c.Response.Reset()
				writeErrorBody(c, 500, server.EINTERNAL, "internal error")
			}
			if span != nil {
				endSpan(span, rm, c.Response.StatusCode(), time.Since(start))
				return
			}
			rm.observe(c.Response.StatusCode(), time.Since(start))
		}()
		if !s.gate(ctx, c, ws) {
			return
		}
		if lim != nil {
			if admitted = lim.Acquire(); admitted == 0 {
				s.refuseOverload(c)
				return
			}
		}
		if err := s.admit(c, &a); err != nil {
			s.writeError(ctx, c, err)
			return
		}
		h(ctx, c)
	}
}

// unmatched answers 404/405 JSON, counted under route "unmatched" with the
// method folded to a known one (raw input never becomes a label).
func (s *Server) unmatched(status int, msg string) app.HandlerFunc {
	byMethod := map[string]*routeMetrics{}
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "OTHER"} {
		byMethod[m] = s.m.route(m, routeUnmatched)
	}
	code := server.ENOTFOUND
	if status == 405 {
		code = "method_not_allowed"
	}
	return func(ctx context.Context, c *app.RequestContext) {
		start := time.Now()
		if headRead(ctx) {
			s.refuseConnection(c)
			return
		}
		if s.closing.Load() {
			c.Response.Header.SetConnectionClose(true)
		}
		if c.Request.IsBodyStream() && hasBody(&c.Request) {
			_ = s.refuse(c, nil) // no route reads it
		}
		writeErrorBody(c, status, code, msg)
		rm := byMethod[string(c.Method())]
		if rm == nil {
			rm = byMethod["OTHER"]
		}
		rm.observe(status, time.Since(start))
	}
}

// handleMetrics serves Deps.Registry in the Prometheus text format, or in
// OpenMetrics (which carries the latency exemplars) when the scraper asks.
func (s *Server) handleMetrics() app.HandlerFunc {
	if s.d.Registry == nil {
		return func(ctx context.Context, c *app.RequestContext) {
			s.writeError(ctx, c, server.Errorf(server.ENOTFOUND, "metrics are disabled"))
		}
	}
	h := promhttp.HandlerFor(s.d.Registry, promhttp.HandlerOpts{Timeout: 10 * time.Second, EnableOpenMetrics: true})
	return func(ctx context.Context, c *app.RequestContext) {
		req, err := http.NewRequestWithContext(ctx, "GET", "/metrics", nil)
		if err != nil {
			s.writeError(ctx, c, err)
			return
		}
		for _, name := range []string{"Accept", "Accept-Encoding"} {
			if v := c.Request.Header.Peek(name); len(v) > 0 {
				req.Header.Set(name, string(v))
			}
		}
		w := &hertzResponseWriter{c: c, h: http.Header{}}
		h.ServeHTTP(w, req)
		if !w.wrote {
			w.WriteHeader(200)
		}
	}
}

// hertzResponseWriter lets promhttp write into a hertz response.
type hertzResponseWriter struct {
	c     *app.RequestContext
	h     http.Header
	wrote bool
}

func (w *hertzResponseWriter) Header() http.Header { return w.h }

func (w *hertzResponseWriter) WriteHeader(status int) {
	if w.wrote {
		return
	}
	w.wrote = true
	for k, vs := range w.h {
		for _, v := range vs {
			w.c.Response.Header.Add(k, v)
		}
	}
	w.c.SetStatusCode(status)
}

func (w *hertzResponseWriter) Write(b []byte) (int, error) {
	w.WriteHeader(200)
	w.c.Response.AppendBody(b)
	return len(b), nil
}
