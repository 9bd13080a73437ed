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
const SessionCookie = server.SessionCookie

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

// identify resolves the session cookie to an identity, through the
// per-instance memo first. When the lookup renewed the session, the
// response re-sets the cookie with the new lifetime (at most once every
// tenth of the TTL), so the cookie slides with the session.
func (s *Server) identify(ctx context.Context, c *app.RequestContext) (identity, error) {
	sid := c.Request.Header.Cookie(SessionCookie)
	id, renewed, err := s.identifySID(ctx, sid)
	if err == nil && !renewed.IsZero() {
		s.setSessionCookie(c, string(sid), int((time.Until(renewed)+time.Second/2)/time.Second))
	}
	return id, err
}

var errNoSession = server.Errorf(server.EUNAUTHORIZED, "not logged in")
var errBadSession = server.Errorf(server.EUNAUTHORIZED, "session expired or invalid")

// identifySID resolves a session id (the cookie's value) to an identity;
// renewed is the session's new expiry when this lookup renewed it, else
// zero.
func (s *Server) identifySID(ctx context.Context, sid []byte) (id identity, renewed time.Time, err error) {
	if len(sid) == 0 {
		return identity{}, time.Time{}, errNoSession
	}
	if len(sid) > 128 {
		return identity{}, time.Time{}, errBadSession
	}
	now := time.Now().UnixNano()
	if id, ok := s.idents.get(sid, now); ok {
		return id, time.Time{}, nil
	}
	key := string(sid)
	sctx, cancel := context.WithTimeout(ctx, s.cfg.StoreTimeout)
	defer cancel()
	sess, fresh, err := s.lookupSession(sctx, key)
	if server.IsNotFound(err) {
		return identity{}, time.Time{}, errBadSession
	}
	if err != nil {
		return identity{}, time.Time{}, err
	}
	id = identity{UserID: sess.UserID, OrgID: sess.OrganizationID}
	s.idents.put(key, id, now, sess.ExpiresAt.UnixNano())
	if fresh {
		renewed = sess.ExpiresAt
	}
	return id, renewed, nil
}

// lookupSession reads the session, and whether this lookup renewed it when
// the store can tell (server.SessionRenewer).
func (s *Server) lookupSession(ctx context.Context, sid string) (*server.Session, bool, error) {
	if r, ok := s.d.Sessions.(server.SessionRenewer); ok {
		return r.SessionRenewed(ctx, sid)
	}
	sess, err := s.d.Sessions.Session(ctx, sid)
	return sess, false, err
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
