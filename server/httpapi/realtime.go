package httpapi

import (
	"context"
	"time"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/echosenseix/echosenseix/server"
)

var errNoRealtime = server.Errorf(server.EUNAVAILABLE, "realtime is not enabled on this server")

type tokenAnswer struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// handleRealtimeToken: GET /api/realtime/token -> a short-lived signed token
// for /ws/realtime-sync?token=.
func (s *Server) handleRealtimeToken(ctx context.Context, c *app.RequestContext, id identity) {
	tok, exp := s.app.RealtimeToken(id, c.Request.Header.Cookie(SessionCookie))
	s.writeJSON(ctx, c, 200, tokenAnswer{Token: tok, ExpiresAt: exp.UTC()})
}

// handleRealtime: GET /ws/realtime-sync. The caller is authenticated before
// the upgrade (?token= or the session cookie; a bad one answers 401); the
// organization comes from the identity, never from the query.
func (s *Server) handleRealtime(ctx context.Context, c *app.RequestContext) {
	if s.d.Realtime == nil {
		s.writeError(ctx, c, errNoRealtime)
		return
	}
	if !s.origins.Allowed(c.Request.Header.Peek("Origin"), c.Request.Header.Host()) {
		writeErrorBody(c, 403, server.EFORBIDDEN, "origin not allowed (ALLOWED_ORIGINS)")
		return
	}
	id, session, err := s.app.AuthenticateRealtime(ctx, c.Query("token"), c.Request.Header.Cookie(SessionCookie))
	if err != nil {
		s.writeError(ctx, c, err)
		return
	}
	s.d.Realtime.ServeWS(ctx, c, id.OrgID, id.UserID, session)
}

// AuthenticateRequest resolves a WebSocket upgrade served outside hertz by
// the rules of GET /ws/realtime-sync (usecase.Service.AuthenticateRealtime):
// token is the ?token= query value, cookie the value of the session cookie
// (SessionCookie); either may be empty.
func (s *Server) AuthenticateRequest(ctx context.Context, cookie, token string) (orgID, userID, session string, err error) {
	id, session, err := s.app.AuthenticateRealtime(ctx, token, []byte(cookie))
	if err != nil {
		return "", "", "", err
	}
	return id.OrgID, id.UserID, session, nil
}

// RealtimeToken mints a token the server accepts for userID in orgID (for
// tests and tools; clients use GET /api/realtime/token).
func (s *Server) RealtimeToken(userID, orgID string, ttl time.Duration) string {
	return s.app.SignRealtimeToken(userID, orgID, ttl)
}
