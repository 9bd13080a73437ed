package auth

import (
	"strings"
	"testing"
	"time"
)

func TestTokenSigner(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := NewTokenSigner([]byte("secret-secret-secret-secret-1234"))
	s.now = func() time.Time { return now }
	now = now.Add(123 * time.Millisecond)
	tok, exp := s.Sign(Claims{UserID: "u1", OrgID: "o1", Session: "tag"}, time.Minute)
	if want := now.Add(time.Minute).Truncate(time.Second); !exp.Equal(want) {
		t.Errorf("expiry = %v; want %v", exp, want)
	}
	c, err := s.Verify(tok)
	want := Claims{UserID: "u1", OrgID: "o1", Session: "tag", IssuedAt: now}
	if err != nil || c != want {
		t.Fatalf("Verify = %+v, %v; want %+v, nil", c, err, want)
	}
	other := NewTokenSigner([]byte("another-secret"))
	other.now = s.now
	p, m, _ := strings.Cut(tok, ".")
	bad := []string{"", "x", tok + "x", p + "." + m[:len(m)-2] + "AA", "." + m}
	forged, _ := other.Sign(Claims{UserID: "u1", OrgID: "o1"}, time.Minute)
	bad = append(bad, forged)
	for _, b := range bad {
		if _, err := s.Verify(b); err != ErrBadToken {
			t.Errorf("Verify(%q) err = %v; want ErrBadToken", b, err)
		}
	}
	now = now.Add(time.Minute)
	if _, err := s.Verify(tok); err != ErrBadToken {
		t.Errorf("Verify(expired) err = %v; want ErrBadToken", err)
	}
}
