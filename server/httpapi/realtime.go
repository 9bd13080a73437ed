package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"time"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/internal/auth"
)

var errNoRealtime = server.Errorf(server.EUNAVAILABLE, "realtime is not enabled on this server")

type tokenAnswer struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// handleRealtimeToken: GET /api/realtime/token -> a short-lived signed token
// for /ws/realtime-sync?token=.
func (s *Server) handleRealtimeToken(ctx context.Context, c *app.RequestContext, id identity) {
	claims := auth.Claims{UserID: id.UserID, OrgID: id.OrgID, Session: sessionTag(c.Request.Header.Cookie(SessionCookie))}
	tok, exp := s.tokens.Sign(claims, s.cfg.RealtimeTokenTTL)
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
	id, session, err := s.realtimeIdentity(ctx, c.Query("token"), c.Request.Header.Cookie(SessionCookie))
	if err != nil {
		s.writeError(ctx, c, err)
		return
	}
	s.d.Realtime.ServeWS(ctx, c, id.OrgID, id.UserID, session)
}

var errBadRealtimeToken = server.Errorf(server.EUNAUTHORIZED, "realtime token is invalid or expired")

// realtimeIdentity applies the realtime rules: a non-empty token must be a
// valid signed realtime token issued after the user's last logout
// everywhere (no fallback to the cookie), else the session cookie must name
// a live session. The organization always comes from the identity. It also
// answers the tag of the session the socket belongs to.
func (s *Server) realtimeIdentity(ctx context.Context, token string, sid []byte) (identity, string, error) {
	if token != "" {
		cl, err := s.tokens.Verify(token)
		if err != nil {
			return identity{}, "", errBadRealtimeToken
		}
		sctx, cancel := context.WithTimeout(ctx, s.cfg.StoreTimeout)
		defer cancel()
		nbf, err := s.d.Sessions.UserNotBefore(sctx, cl.UserID)
		if err != nil {
			return identity{}, "", err
		}
		if !nbf.IsZero() && !cl.IssuedAt.After(nbf) {
			return identity{}, "", errBadRealtimeToken
		}
		return identity{UserID: cl.UserID, OrgID: cl.OrgID}, cl.Session, nil
	}
	id, _, err := s.identifySID(ctx, sid)
	if err != nil {
		return identity{}, "", err
	}
	return id, sessionTag(sid), nil
}

// sessionTag names a session to the realtime hub and in tokens without
// revealing its id: 128 bits of a SHA-256 of the id ("" for none).
func sessionTag(sid []byte) string {
	if len(sid) == 0 {
		return ""
	}
	sum := sha256.Sum256(append([]byte("realtime-session:"), sid...))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// AuthenticateRequest resolves a WebSocket upgrade served outside hertz (the
// dedicated realtime listener) by exactly the rules of GET /ws/realtime-sync:
// token is the ?token= query value, cookie the value of the session cookie
// (SessionCookie); either may be empty. session is the tag of the session
// the socket belongs to (empty: none). A missing or bad credential answers
// a coded EUNAUTHORIZED error; a session store failure answers its error.
func (s *Server) AuthenticateRequest(ctx context.Context, cookie, token string) (orgID, userID, session string, err error) {
	id, session, err := s.realtimeIdentity(ctx, token, []byte(cookie))
	if err != nil {
		return "", "", "", err
	}
	return id.OrgID, id.UserID, session, nil
}

// RealtimeToken mints a token the server accepts for userID in orgID (for
// tests and tools; clients use GET /api/realtime/token).
func (s *Server) RealtimeToken(userID, orgID string, ttl time.Duration) string {
	tok, _ := s.tokens.Sign(auth.Claims{UserID: userID, OrgID: orgID}, ttl)
	return tok
}
