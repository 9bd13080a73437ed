package app

import (
	"context"
	"encoding/base64"
	"runtime"
	"strings"
	"time"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/internal/auth"
)

// ErrBadCredentials answers a wrong email or password (the same for both).
var ErrBadCredentials = server.Errorf(server.EUNAUTHORIZED, "invalid email or password")

// hashSlots bounds concurrent password verifications (each argon2id run
// holds ~19 MiB and ~20 ms of a core): a login flood is shed with 503
// instead of exhausting memory.
var hashSlots = make(chan struct{}, 2*runtime.GOMAXPROCS(0))

// hashWait is how long a login waits for a verification slot.
const hashWait = 2 * time.Second

// Login checks email and password from client address ip and opens a
// session: it answers the user and the new session.
func (s *Service) Login(ctx context.Context, email, password, ip string) (*server.User, *server.Session, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	user, err := s.login(ctx, email, password, ip)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now().UTC()
	sess := &server.Session{ID: newSessionID(), UserID: user.ID, OrganizationID: user.OrganizationID,
		CreatedAt: now} // the store sets ExpiresAt from SESSION_TTL
	sctx, cancel := s.storeCtx(ctx)
	defer cancel()
	if err := s.d.Sessions.CreateSession(sctx, sess); err != nil {
		return nil, nil, err
	}
	return user, sess, nil
}

// login counts the attempt (refusing it when the account or address backs
// off) before it verifies the password; every failure costs one
// verification so timing does not reveal which emails exist.
func (s *Service) login(ctx context.Context, email, pw, ip string) (*server.User, error) {
	wait, err := s.cfg.LoginThrottle.Attempt(ctx, email, ip)
	if err != nil {
		return nil, err
	}
	if wait > 0 {
		return nil, server.RateLimited(int((wait+time.Second-1)/time.Second), "too many failed logins; try again later")
	}
	sctx, cancel := s.storeCtx(ctx)
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
		return nil, ErrBadCredentials
	}
	if err := s.cfg.LoginThrottle.Succeeded(ctx, email, ip); err != nil {
		s.log.WarnContext(ctx, "cannot reset login throttle", "err", err)
	}
	return user, nil
}

// verify runs one password verification (a dummy one for a nil user) in a
// bounded slot.
func (s *Service) verify(ctx context.Context, user *server.User, pw string) (bool, error) {
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
		s.log.ErrorContext(ctx, "cannot verify password hash", "user", user.ID, "err", err)
		return false, nil
	}
	return ok, nil
}

// AuthUser answers the JSON of the caller's user, through the cache; a user
// that is gone answers ErrBadSession.
func (s *Service) AuthUser(ctx context.Context, userID string) ([]byte, error) {
	b, err := s.rt.Get(ctx, UserKey(userID), s.cfg.CacheTTL, func(ctx context.Context) ([]byte, error) {
		sctx, cancel := s.storeCtx(ctx)
		defer cancel()
		u, err := s.d.Users.User(sctx, userID)
		if err != nil {
			return nil, err
		}
		return jsonAPI.Marshal(u)
	})
	if server.IsNotFound(err) {
		err = ErrBadSession
	}
	return b, err
}

// newSessionID returns 256 random bits, base64url.
func newSessionID() string {
	return base64.RawURLEncoding.EncodeToString(randomBytes(32))
}
