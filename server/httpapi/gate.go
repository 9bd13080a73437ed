package httpapi

import (
	"context"

	"github.com/cloudwego/hertz/pkg/app"
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
