package httpapi

import (
	"context"
	"crypto/rand"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/protocol"

	"github.com/echosenseix/echosenseix/server"
	usecase "github.com/echosenseix/echosenseix/server/app"
)

// SessionCookie is the name of the session cookie.
const SessionCookie = server.SessionCookie

// identity is who a request acts for: taken from the session (or a realtime
// token), never from the query.
type identity = usecase.Identity

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

// identify resolves the session cookie to an identity. When the lookup
// renewed the session, the response re-sets the cookie with the new
// lifetime (at most once every tenth of the TTL), so the cookie slides with
// the session.
func (s *Server) identify(ctx context.Context, c *app.RequestContext) (identity, error) {
	sid := c.Request.Header.Cookie(SessionCookie)
	id, renewed, err := s.app.Identify(ctx, sid)
	if err == nil && !renewed.IsZero() {
		s.setSessionCookie(c, string(sid), int((time.Until(renewed)+time.Second/2)/time.Second))
	}
	return id, err
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
