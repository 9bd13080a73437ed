package httpapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/echosenseix/echosenseix/server"
)

// TestAuthenticateRequest: the dedicated realtime listener's rules are
// those of GET /ws/realtime-sync (token, else session cookie; organization
// from the identity).
func TestAuthenticateRequest(t *testing.T) {
	e := newEnv(t, backends[0])
	tok := decode[struct{ Token string }](t, e.as(e.b, "GET", "/api/realtime/token", "")).Token
	sidA := strings.TrimPrefix(e.a.cookie, "sid=")
	tests := []struct {
		name, cookie, token string
		org, user           string // "" = want EUNAUTHORIZED
	}{
		{"nothing", "", "", "", ""},
		{"forged token", "", "forged.token", "", ""},
		{"unknown session", "nope", "", "", ""},
		{"bad token does not fall back to the cookie", sidA, "forged.token", "", ""},
		{"token", "", tok, e.b.org.ID, e.b.user.ID},
		{"cookie", sidA, "", e.a.org.ID, e.a.user.ID},
		{"token wins over cookie", sidA, tok, e.b.org.ID, e.b.user.ID},
	}
	for _, tt := range tests {
		org, user, _, err := e.srv.AuthenticateRequest(context.Background(), tt.cookie, tt.token)
		if tt.org == "" {
			if server.ErrorCode(err) != server.EUNAUTHORIZED || org != "" || user != "" {
				t.Errorf("%s: got (%q, %q, %v); want EUNAUTHORIZED", tt.name, org, user, err)
			}
			continue
		}
		if err != nil || org != tt.org || user != tt.user {
			t.Errorf("%s: got (%q, %q, %v); want (%q, %q, nil)", tt.name, org, user, err, tt.org, tt.user)
		}
	}
}
