package httpapi

import (
	"context"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
)

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

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
	user, sess, err := s.app.Login(ctx, req.Email, req.Password, c.ClientIP())
	if err != nil {
		s.writeError(ctx, c, err)
		return
	}
	// The store sets ExpiresAt from its TTL (SESSION_TTL): the cookie follows it.
	s.setSessionCookie(c, sess.ID, int((time.Until(sess.ExpiresAt)+time.Second/2)/time.Second))
	s.writeJSON(ctx, c, 200, user)
}

// handleAuthUser: GET /api/auth/user, the user read through the cache.
func (s *Server) handleAuthUser(ctx context.Context, c *app.RequestContext, id identity) {
	b, err := s.app.AuthUser(ctx, id.UserID)
	s.writeBytes(ctx, c, b, err)
}
