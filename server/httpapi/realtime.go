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
	if !s.originAllowed(c.Request.Header.Peek("Origin")) {
		writeErrorBody(c, 403, "forbidden", "origin not allowed")
		return
	}
	var id identity
	if tok := c.Query("token"); tok != "" {
		user, org, err := s.tokens.Verify(tok)
		if err != nil {
			s.writeError(ctx, c, server.Errorf(server.EUNAUTHORIZED, "realtime token is invalid or expired"))
			return
		}
		id = identity{UserID: user, OrgID: org}
	} else {
		var err error
		if id, err = s.identify(ctx, c); err != nil {
			s.writeError(ctx, c, err)
			return
		}
	}
	s.d.Realtime.ServeWS(ctx, c, id.OrgID, id.UserID)
}

// RealtimeToken mints a token the server accepts for userID in orgID (for
// tests and tools; clients use GET /api/realtime/token).
func (s *Server) RealtimeToken(userID, orgID string, ttl time.Duration) string {
	tok, _ := s.tokens.Sign(userID, orgID, ttl)
	return tok
}

// originAllowed checks the Origin header against Config.AllowedOrigins: no
// list, "*" in the list, or no Origin header (non-browser clients) allow.
func (s *Server) originAllowed(origin []byte) bool {
	if len(s.cfg.AllowedOrigins) == 0 || len(origin) == 0 {
		return true
	}
	for _, o := range s.cfg.AllowedOrigins {
		if o == "*" || o == string(origin) {
			return true
		}
	}
	return false
}
