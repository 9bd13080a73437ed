// Package hertzpeer is bare hertz, the server's version and transport
// (netpoll) with no middleware, answering GET /health/live and the cached
// agent read GET /api/agents/:id with the bytes our server answers
// (pre-encoded JSON, the same content type): the floor make bench sets our
// routes beside, so the gap shows what our middleware and handlers cost.
package hertzpeer

import (
	"context"
	"encoding/json"
	"net"

	"github.com/cloudwego/hertz/pkg/app"
	hzserver "github.com/cloudwego/hertz/pkg/app/server"
	"github.com/cloudwego/hertz/pkg/common/tracer/stats"
	"github.com/cloudwego/hertz/pkg/network/netpoll"
	"github.com/echosenseix/echosenseix/bench/peer"
)

// Bodies and content type of our server's /health/live and of its errors.
var (
	liveBody        = []byte(`{"status":"ok"}`)
	notFoundBody    = []byte(`{"error":{"code":"not_found","message":"agent not found"}}`)
	contentTypeJSON = []byte("application/json; charset=utf-8")
)

// New answers a hertz server on ln serving the demo agents of bench/peer
// (agents of them, pre-encoded once).
func New(ln net.Listener, agents int) *hzserver.Hertz {
	bodies := make(map[string][]byte, agents)
	for i := range agents {
		a := peer.DemoAgent(peer.DemoOrganizationID, i)
		b, _ := json.Marshal(a)
		bodies[a.ID] = b
	}
	h := hzserver.New(
		hzserver.WithTransport(netpoll.NewTransporter),
		hzserver.WithListener(ln),
		hzserver.WithDisablePrintRoute(true),
		hzserver.WithTraceLevel(stats.LevelDisabled),
	)
	h.GET("/health/live", func(_ context.Context, c *app.RequestContext) { write(c, 200, liveBody) })
	h.GET("/api/agents/:id", func(_ context.Context, c *app.RequestContext) {
		if b, ok := bodies[c.Param("id")]; ok {
			write(c, 200, b)
			return
		}
		write(c, 404, notFoundBody)
	})
	return h
}

func write(c *app.RequestContext, status int, b []byte) {
	c.SetStatusCode(status)
	c.Response.Header.SetContentTypeBytes(contentTypeJSON)
	c.Response.SetBodyRaw(b)
}
