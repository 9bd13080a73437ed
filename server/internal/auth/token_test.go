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
	tok, exp := s.Sign("u1", "o1", time.Minute)
	if !exp.Equal(now.Add(time.Minute)) {
		t.Errorf("expiry = %v; want %v", exp, now.Add(time.Minute))
	}
	u, o, err := s.Verify(tok)
	if err != nil || u != "u1" || o != "o1" {
		t.Fatalf("Verify = %q, %q, %v; want u1, o1, nil", u, o, err)
	}
	other := NewTokenSigner([]byte("another-secret"))
	other.now = s.now
	p, m, _ := strings.Cut(tok, ".")
	bad := []string{"", "x", tok + "x", p + "." + m[:len(m)-2] + "AA", "." + m}
	forged, _ := other.Sign("u1", "o1", time.Minute)
	bad = append(bad, forged)
	for _, b := range bad {
		if _, _, err := s.Verify(b); err != ErrBadToken {
			t.Errorf("Verify(%q) err = %v; want ErrBadToken", b, err)
		}
	}
	now = now.Add(time.Minute)
	if _, _, err := s.Verify(tok); err != ErrBadToken {
		t.Errorf("Verify(expired) err = %v; want ErrBadToken", err)
	}
}
