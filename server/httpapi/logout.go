package httpapi

import (
	"context"

	"github.com/cloudwego/hertz/pkg/app"
)

var statusOK = []byte(`{"status":"ok"}`)

// handleLogout: POST /api/logout ends the session, closes the sockets
// opened from it and clears the cookie.
func (s *Server) handleLogout(ctx context.Context, c *app.RequestContext, id identity) {
	if err := s.app.Logout(ctx, id, c.Request.Header.Cookie(SessionCookie)); err != nil {
		s.writeError(ctx, c, err)
		return
	}
	s.setSessionCookie(c, "", -1)
	writeJSONBytes(c, 200, statusOK)
}

// handleLogoutAll: POST /api/logout-all, "log out everywhere": ends every
// session of the user, refuses the realtime tokens issued before now,
// closes the user's sockets on every instance and clears the cookie.
func (s *Server) handleLogoutAll(ctx context.Context, c *app.RequestContext, id identity) {
	if err := s.app.LogoutAll(ctx, id); err != nil {
		s.writeError(ctx, c, err)
		return
	}
	s.setSessionCookie(c, "", -1)
	writeJSONBytes(c, 200, statusOK)
}
