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
	tok, exp := s.tokens.Sign(id.UserID, id.OrgID, s.cfg.RealtimeTokenTTL)
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
	id, err := s.realtimeIdentity(ctx, c.Query("token"), c.Request.Header.Cookie(SessionCookie))
	if err != nil {
		s.writeError(ctx, c, err)
		return
	}
	s.d.Realtime.ServeWS(ctx, c, id.OrgID, id.UserID)
}

var errBadRealtimeToken = server.Errorf(server.EUNAUTHORIZED, "realtime token is invalid or expired")

// realtimeIdentity applies the realtime rules: a non-empty token must be a
// valid signed realtime token (no fallback to the cookie), else the session
// cookie must name a live session. The organization always comes from the
// identity.
func (s *Server) realtimeIdentity(ctx context.Context, token string, sid []byte) (identity, error) {
	if token != "" {
		user, org, err := s.tokens.Verify(token)
		if err != nil {
			return identity{}, errBadRealtimeToken
		}
		return identity{UserID: user, OrgID: org}, nil
	}
	return s.identifySID(ctx, sid)
}

// AuthenticateRequest resolves a WebSocket upgrade served outside hertz (the
// dedicated realtime listener) by exactly the rules of GET /ws/realtime-sync:
// token is the ?token= query value, cookie the value of the session cookie
// (SessionCookie); either may be empty. A missing or bad credential answers
// a coded EUNAUTHORIZED error; a session store failure answers its error.
func (s *Server) AuthenticateRequest(ctx context.Context, cookie, token string) (orgID, userID string, err error) {
	id, err := s.realtimeIdentity(ctx, token, []byte(cookie))
	if err != nil {
		return "", "", err
	}
	return id.OrgID, id.UserID, nil
}

// RealtimeToken mints a token the server accepts for userID in orgID (for
// tests and tools; clients use GET /api/realtime/token).
func (s *Server) RealtimeToken(userID, orgID string, ttl time.Duration) string {
	tok, _ := s.tokens.Sign(userID, orgID, ttl)
	return tok
}
