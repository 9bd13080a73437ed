package app

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"time"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/internal/auth"
)

// ErrBadRealtimeToken answers a realtime token that is invalid, expired or
// issued before the user's last logout everywhere.
var ErrBadRealtimeToken = server.Errorf(server.EUNAUTHORIZED, "realtime token is invalid or expired")

// RealtimeToken signs a short-lived token for /ws/realtime-sync?token= for
// id, tied to the session sid (nil: none); it answers its expiry.
func (s *Service) RealtimeToken(id Identity, sid []byte) (string, time.Time) {
	return s.tokens.Sign(auth.Claims{UserID: id.UserID, OrgID: id.OrgID, Session: SessionTag(sid)}, s.cfg.RealtimeTokenTTL)
}

// SignRealtimeToken mints a token the server accepts for userID in orgID
// for ttl (for tests and tools; clients use RealtimeToken).
func (s *Service) SignRealtimeToken(userID, orgID string, ttl time.Duration) string {
	tok, _ := s.tokens.Sign(auth.Claims{UserID: userID, OrgID: orgID}, ttl)
	return tok
}

// AuthenticateRealtime applies the realtime rules, the same on PORT and on
// the dedicated listener: a non-empty token must be a valid signed realtime
// token issued after the user's last logout everywhere (no fallback to the
// cookie), else the session cookie sid must name a live session. The
// organization always comes from the identity. It also answers the tag of
// the session the socket belongs to (empty: none).
func (s *Service) AuthenticateRealtime(ctx context.Context, token string, sid []byte) (Identity, string, error) {
	if token == "" {
		id, _, err := s.Identify(ctx, sid)
		if err != nil {
			return Identity{}, "", err
		}
		return id, SessionTag(sid), nil
	}
	cl, err := s.tokens.Verify(token)
	if err != nil {
		return Identity{}, "", ErrBadRealtimeToken
	}
	sctx, cancel := s.storeCtx(ctx)
	defer cancel()
	nbf, err := s.d.Sessions.UserNotBefore(sctx, cl.UserID)
	if err != nil {
		return Identity{}, "", err
	}
	if !nbf.IsZero() && !cl.IssuedAt.After(nbf) {
		return Identity{}, "", ErrBadRealtimeToken
	}
	return Identity{UserID: cl.UserID, OrgID: cl.OrgID}, cl.Session, nil
}

// SessionTag names a session to the realtime hub and in tokens without
// revealing its id: 128 bits of a SHA-256 of the id ("" for none).
func SessionTag(sid []byte) string {
	if len(sid) == 0 {
		return ""
	}
	sum := sha256.Sum256(append([]byte("realtime-session:"), sid...))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}
