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
// organization and an expiry, signed with HMAC-SHA256. Format:
// base64url("v1|<userID>|<orgID>|<unix expiry>") "." base64url(mac).
type TokenSigner struct {
	secret []byte
	now    func() time.Time
}

// NewTokenSigner returns a signer using secret (at least 32 random bytes
// recommended; every instance must share it).
func NewTokenSigner(secret []byte) *TokenSigner {
	return &TokenSigner{secret: append([]byte(nil), secret...), now: time.Now}
}

// Sign returns a token for userID in orgID valid for ttl and its expiry.
func (s *TokenSigner) Sign(userID, orgID string, ttl time.Duration) (string, time.Time) {
	if ttl <= 0 {
		ttl = DefaultTokenTTL
	}
	exp := s.now().Add(ttl).Truncate(time.Second)
	payload := "v1|" + userID + "|" + orgID + "|" + strconv.FormatInt(exp.Unix(), 10)
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(payload)) + "." + enc.EncodeToString(s.mac(payload)), exp
}

// Verify checks token and returns the user and organization it names.
func (s *TokenSigner) Verify(token string) (userID, orgID string, err error) {
	p, m, ok := strings.Cut(token, ".")
	if !ok || len(token) > 1024 {
		return "", "", ErrBadToken
	}
	enc := base64.RawURLEncoding
	payload, err1 := enc.DecodeString(p)
	mac, err2 := enc.DecodeString(m)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, s.mac(string(payload))) {
		return "", "", ErrBadToken
	}
	f := strings.Split(string(payload), "|")
	if len(f) != 4 || f[0] != "v1" || f[1] == "" || f[2] == "" {
		return "", "", ErrBadToken
	}
	exp, err := strconv.ParseInt(f[3], 10, 64)
	if err != nil || s.now().Unix() >= exp {
		return "", "", ErrBadToken
	}
	return f[1], f[2], nil
}

func (s *TokenSigner) mac(payload string) []byte {
	h := hmac.New(sha256.New, s.secret)
	h.Write([]byte(payload))
	return h.Sum(nil)
}
