package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// ErrBadToken is returned by TokenSigner.Verify for a malformed, forged or
// expired token.
var ErrBadToken = errors.New("invalid or expired token")

// DefaultTokenTTL is how long a realtime token stays valid.
const DefaultTokenTTL = 60 * time.Second

// TokenSigner issues and checks short-lived tokens naming a user, an
// organization, the session they were issued from (an opaque tag, or
// empty), when they were issued (ms) and their expiry, signed with
// HMAC-SHA256. Format: base64url("v2|<userID>|<orgID>|<session>|<issued
// unix ms>|<expiry unix s>") "." base64url(mac). The issue time lets a
// verifier refuse tokens issued before the user logged out everywhere.
type TokenSigner struct {
	secret []byte
	now    func() time.Time
}

// Claims is what a valid token names.
type Claims struct {
	UserID, OrgID string
	Session       string    // tag of the session the token was issued from; may be empty
	IssuedAt      time.Time // to the millisecond
}

// NewTokenSigner returns a signer using secret (at least 32 random bytes
// recommended; every instance must share it).
func NewTokenSigner(secret []byte) *TokenSigner {
	return &TokenSigner{secret: append([]byte(nil), secret...), now: time.Now}
}

// Sign returns a token for c (IssuedAt is set to now) valid for ttl, and
// its expiry.
func (s *TokenSigner) Sign(c Claims, ttl time.Duration) (string, time.Time) {
	if ttl <= 0 {
		ttl = DefaultTokenTTL
	}
	now := s.now()
	exp := now.Add(ttl).Truncate(time.Second)
	payload := "v2|" + c.UserID + "|" + c.OrgID + "|" + c.Session + "|" + strconv.FormatInt(now.UnixMilli(), 10) +
		"|" + strconv.FormatInt(exp.Unix(), 10)
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(payload)) + "." + enc.EncodeToString(s.mac(payload)), exp
}

// Verify checks token and returns its claims.
func (s *TokenSigner) Verify(token string) (Claims, error) {
	p, m, ok := strings.Cut(token, ".")
	if !ok || len(token) > 1024 {
		return Claims{}, ErrBadToken
	}
	enc := base64.RawURLEncoding
	payload, err1 := enc.DecodeString(p)
	mac, err2 := enc.DecodeString(m)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, s.mac(string(payload))) {
		return Claims{}, ErrBadToken
	}
	f := strings.Split(string(payload), "|")
	if len(f) != 6 || f[0] != "v2" || f[1] == "" || f[2] == "" {
		return Claims{}, ErrBadToken
	}
	iat, err1 := strconv.ParseInt(f[4], 10, 64)
	exp, err2 := strconv.ParseInt(f[5], 10, 64)
	if err1 != nil || err2 != nil || s.now().Unix() >= exp {
		return Claims{}, ErrBadToken
	}
	return Claims{UserID: f[1], OrgID: f[2], Session: f[3], IssuedAt: time.UnixMilli(iat)}, nil
}

func (s *TokenSigner) mac(payload string) []byte {
	h := hmac.New(sha256.New, s.secret)
	h.Write([]byte(payload))
	return h.Sum(nil)
}
