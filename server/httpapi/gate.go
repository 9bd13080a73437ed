package httpapi

import (
	"context"
	"strings"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/echosenseix/echosenseix/server/internal/shed"
)

// gate runs before a route's admission: it marks the request's head as
// read (the header deadline stops counting), answers the connection past
// MaxConnections, asks the client to close its connection while the server
// drains, and sheds load past the adaptive limit. It answers false when it
// has written the response itself; done, when not nil, must be called once
// the route has answered.
func (s *Server) gate(ctx context.Context, c *app.RequestContext, ws bool) (ok bool) {
	if headRead(ctx) {
		s.refuseConnection(c)
		return false
	}
	if s.closing.Load() && !ws {
		// hertz closes the connection after this response.
		c.Response.Header.SetConnectionClose(true)
	}
	return true
}

// shedFor answers the overload limiter of route, nil when the route is
// exempt (health, metrics, the WebSocket entry) or there is none.
func (s *Server) shedFor(route string) *shed.Limiter {
	if s.shed == nil || route == realtimeRoute || route == "/metrics" || strings.HasPrefix(route, "/health") {
		return nil
	}
	return s.shed
}

// refuseOverload answers a request past the adaptive concurrency limit.
func (s *Server) refuseOverload(c *app.RequestContext) {
	s.limits.overloadShed.Inc()
	c.Response.Header.Set("Retry-After", "1")
	writeErrorBody(c, 503, "overloaded", "server is overloaded; retry later")
}

// shedCollectors are the limiter's gauges (none without a limiter).
func (s *Server) shedCollectors() []prometheus.Collector {
	if s.shed == nil {
		return nil
	}
	l := s.shed
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "http_concurrency_limit", Help: "Requests the adaptive overload limit lets run at once now (OVERLOAD_*).",
		}, func() float64 { return float64(l.Limit()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "http_requests_in_flight", Help: "Requests under the overload limit running now.",
		}, func() float64 { return float64(l.InFlight()) }),
	}
}
