package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/protocol"

	"github.com/echosenseix/echosenseix/server"
)

// SessionCookie is the name of the session cookie.
const SessionCookie = "sid"

// authedHandler serves a request whose caller is known.
type authedHandler func(ctx context.Context, c *app.RequestContext, id identity)

// authed wraps h: no or bad session answers 401 before h runs.
func (s *Server) authed(h authedHandler) func(ctx context.Context, c *app.RequestContext) {
	return func(ctx context.Context, c *app.RequestContext) {
		id, err := s.identify(ctx, c)
		if err != nil {
			s.writeError(ctx, c, err)
			return
		}
		h(ctx, c, id)
	}
}

var errNoSession = server.Errorf(server.EUNAUTHORIZED, "not logged in")
var errBadSession = server.Errorf(server.EUNAUTHORIZED, "session expired or invalid")

// identify resolves the session cookie to an identity, through the
// per-instance memo first.
func (s *Server) identify(ctx context.Context, c *app.RequestContext) (identity, error) {
	return s.identifySID(ctx, c.Request.Header.Cookie(SessionCookie))
}

// identifySID resolves a session id (the cookie's value) to an identity.
func (s *Server) identifySID(ctx context.Context, sid []byte) (identity, error) {
	if len(sid) == 0 {
		return identity{}, errNoSession
	}
	if len(sid) > 128 {
		return identity{}, errBadSession
	}
	now := time.Now().UnixNano()
	if id, ok := s.idents.get(sid, now); ok {
		return id, nil
	}
	key := string(sid)
	sctx, cancel := context.WithTimeout(ctx, s.cfg.StoreTimeout)
	defer cancel()
	sess, err := s.d.Sessions.Session(sctx, key)
	if server.IsNotFound(err) {
		return identity{}, errBadSession
	}
	if err != nil {
		return identity{}, err
	}
	id := identity{UserID: sess.UserID, OrgID: sess.OrganizationID}
	s.idents.put(key, id, now, sess.ExpiresAt.UnixNano())
	return id, nil
}

// newSessionID returns 256 random bits, base64url.
func newSessionID() string {
	return base64.RawURLEncoding.EncodeToString(randomBytes(32))
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("BUG: crypto/rand failed: " + err.Error())
	}
	return b
}

// setSessionCookie sets (maxAge > 0) or clears (maxAge < 0) the cookie.
func (s *Server) setSessionCookie(c *app.RequestContext, value string, maxAge int) {
	secure := s.cfg.CookieSecure || string(c.Request.URI().Scheme()) == "https" ||
		string(c.Request.Header.Peek("X-Forwarded-Proto")) == "https"
	c.SetCookie(SessionCookie, value, maxAge, "/", "", protocol.CookieSameSiteLaxMode, secure, true)
}
