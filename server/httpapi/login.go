package httpapi

import (
	"context"
	"runtime"
	"strings"
	"time"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/internal/auth"
)

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

var errBadCredentials = server.Errorf(server.EUNAUTHORIZED, "invalid email or password")

// hashSlots bounds concurrent password verifications (each argon2id run
// holds ~19 MiB and ~20 ms of a core): a login flood is shed with 503
// instead of exhausting memory.
var hashSlots = make(chan struct{}, 2*runtime.GOMAXPROCS(0))

// hashWait is how long a login waits for a verification slot.
const hashWait = 2 * time.Second

// handleLogin: POST /api/login {email,password} -> user, sets the cookie.
func (s *Server) handleLogin(ctx context.Context, c *app.RequestContext) {
	var req loginRequest
	if err := decodeJSON(c.Request.Body(), &req, false, s.cfg.MaxJSONDepth); err != nil {
		s.writeError(ctx, c, err)
		return
	}
	if err := required("email", req.Email, "password", req.Password); err != nil {
		s.writeError(ctx, c, err)
		return
	}
	email := strings.ToLower(strings.TrimSpace(req.Email))
	user, err := s.login(ctx, email, req.Password, c.ClientIP())
	if err != nil {
		s.writeError(ctx, c, err)
		return
	}
	// The store sets ExpiresAt from its TTL (SESSION_TTL): the cookie follows it.
	sess := &server.Session{ID: newSessionID(), UserID: user.ID, OrganizationID: user.OrganizationID,
		CreatedAt: time.Now().UTC()}
	sctx, cancel := context.WithTimeout(ctx, s.cfg.StoreTimeout)
	defer cancel()
	if err := s.d.Sessions.CreateSession(sctx, sess); err != nil {
		s.writeError(ctx, c, err)
		return
	}
	s.setSessionCookie(c, sess.ID, int((time.Until(sess.ExpiresAt)+time.Second/2)/time.Second))
	s.writeJSON(ctx, c, 200, user)
}

// login counts the attempt (refusing it when the account or address backs
// off) before it verifies the password; every failure costs one
// verification so timing does not reveal which emails exist.
func (s *Server) login(ctx context.Context, email, pw, ip string) (*server.User, error) {
	wait, err := s.cfg.LoginThrottle.Attempt(ctx, email, ip)
	if err != nil {
		return nil, err
	}
	if wait > 0 {
		return nil, rateLimited(int((wait+time.Second-1)/time.Second), "too many failed logins; try again later")
	}
	sctx, cancel := context.WithTimeout(ctx, s.cfg.StoreTimeout)
	defer cancel()
	user, err := s.d.Users.UserByEmail(sctx, email)
	if err != nil && !server.IsNotFound(err) {
		return nil, err
	}
	ok, err := s.verify(ctx, user, pw)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errBadCredentials
	}
	if err := s.cfg.LoginThrottle.Succeeded(ctx, email, ip); err != nil {
		s.log.Warn("cannot reset login throttle", "err", err)
	}
	return user, nil
}

// verify runs one password verification (a dummy one for a nil user) in a
// bounded slot.
func (s *Server) verify(ctx context.Context, user *server.User, pw string) (bool, error) {
	t := time.NewTimer(hashWait)
	defer t.Stop()
	select {
	case hashSlots <- struct{}{}:
	case <-t.C:
		return false, server.Errorf(server.EUNAVAILABLE, "too many logins in progress")
	case <-ctx.Done():
		return false, server.WrapError(server.EUNAVAILABLE, "login cancelled", ctx.Err())
	}
	defer func() { <-hashSlots }()
	if user == nil {
		return auth.VerifyDummy(pw), nil
	}
	ok, err := auth.VerifyPassword(user.PasswordHash, pw)
	if err != nil {
		s.log.Error("cannot verify password hash", "user", user.ID, "err", err)
		return false, nil
	}
	return ok, nil
}

// handleAuthUser: GET /api/auth/user, the user read through the cache.
func (s *Server) handleAuthUser(ctx context.Context, c *app.RequestContext, id identity) {
	b, err := s.rt.Get(ctx, "user:"+id.UserID, s.cfg.CacheTTL, func(ctx context.Context) ([]byte, error) {
		sctx, cancel := context.WithTimeout(ctx, s.cfg.StoreTimeout)
		defer cancel()
		u, err := s.d.Users.User(sctx, id.UserID)
		if err != nil {
			return nil, err
		}
		return jsonAPI.Marshal(u)
	})
	if server.IsNotFound(err) {
		err = errBadSession // the user is gone: the session is no longer valid
	}
	if err != nil {
		s.writeError(ctx, c, err)
		return
	}
	writeJSONBytes(c, 200, b)
}
