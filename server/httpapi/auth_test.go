package httpapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/internal/auth"
)

func TestLogin(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			e := newEnv(t, be)
			w := e.do("POST", "/api/login", fmt.Sprintf(`{"email":%q,"password":%q}`, strings.ToUpper(e.a.user.Email), testPassword),
				"X-Forwarded-Proto: https")
			if w.Code != 200 {
				t.Fatalf("status = %d; want 200 (%s)", w.Code, w.Body.String())
			}
			u := decode[server.User](t, w)
			if u.ID != e.a.user.ID || strings.Contains(w.Body.String(), "argon2") {
				t.Errorf("user = %+v, body %s; want id %s without hash", u, w.Body.String(), e.a.user.ID)
			}
			ck := sessionCookie(t, w)
			if !ck.HTTPOnly() || !ck.Secure() || ck.SameSite() != 2 /* Lax */ || string(ck.Path()) != "/" || len(ck.Value()) < 40 {
				t.Errorf("cookie = %s; want HttpOnly, Secure, SameSite=Lax, Path=/, long value", ck.String())
			}
			plain := sessionCookie(t, e.do("POST", "/api/login", fmt.Sprintf(`{"email":%q,"password":%q}`, e.a.user.Email, testPassword)))
			if plain.Secure() {
				t.Errorf("cookie over plain http is Secure; want not")
			}
			tests := []struct {
				name, body string
				status     int
			}{
				{"wrong password", fmt.Sprintf(`{"email":%q,"password":"nope"}`, e.b.user.Email), 401},
				{"unknown email", `{"email":"nobody@example.com","password":"x"}`, 401},
				{"malformed", `{"email":`, 400},
				{"wrong type", `{"email":1,"password":"x"}`, 400},
				{"missing password", `{"email":"a@b.c"}`, 400},
				{"empty body", ``, 400},
				{"array", `[1]`, 400},
			}
			for _, tt := range tests {
				w := e.do("POST", "/api/login", tt.body)
				wantError(t, w, tt.status)
			}
			w = e.do("POST", "/api/login", `{"email":1,"password":"x"}`)
			if !strings.Contains(w.Body.String(), `email`) {
				t.Errorf("wrong-type error %s does not name the field", w.Body.String())
			}
		})
	}
}

func TestAuthUserAndLogout(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			e := newEnv(t, be)
			w := e.as(e.a, "GET", "/api/auth/user", "")
			if w.Code != 200 || decode[server.User](t, w).ID != e.a.user.ID {
				t.Fatalf("auth/user = %d %s; want 200 user %s", w.Code, w.Body.String(), e.a.user.ID)
			}
			wantError(t, e.do("GET", "/api/auth/user", ""), 401)
			wantError(t, e.do("GET", "/api/auth/user", "", "Cookie: sid=forged"), 401)
			w = e.as(e.a, "POST", "/api/logout", "")
			if w.Code != 200 {
				t.Fatalf("logout = %d; want 200", w.Code)
			}
			if ck := sessionCookie(t, w); ck.MaxAge() >= 0 && ck.Expire().After(time.Now()) {
				t.Errorf("logout cookie %s does not clear the session", ck.String())
			}
			wantError(t, e.as(e.a, "GET", "/api/auth/user", ""), 401)
			wantError(t, e.as(e.a, "POST", "/api/logout", ""), 401)
		})
	}
}

func TestExpiredSession(t *testing.T) {
	e := newEnv(t, backends[0])
	if w := e.as(e.a, "GET", "/api/agents", ""); w.Code != 200 {
		t.Fatalf("before expiry status = %d; want 200", w.Code)
	}
	e.sessions.advance(2 * time.Hour)
	for _, path := range []string{"/api/agents", "/api/auth/user", "/api/call-logs", "/api/analytics/organization", "/api/realtime/token"} {
		wantError(t, e.as(e.a, "GET", path, ""), 401)
	}
}

func TestSessionMemo(t *testing.T) {
	e := newEnv(t, backends[0], func(c *httpapiConfig, _ *httpapiDeps) { c.SessionCacheTTL = time.Minute })
	for i := 0; i < 5; i++ {
		if w := e.as(e.a, "GET", "/api/agents/"+e.a.agent.ID, ""); w.Code != 200 {
			t.Fatalf("status = %d; want 200", w.Code)
		}
	}
	e.sessions.mu.Lock()
	gets := e.sessions.gets
	e.sessions.mu.Unlock()
	if gets != 1 {
		t.Errorf("session store reads = %d; want 1 (memoised)", gets)
	}
	if w := e.as(e.a, "POST", "/api/logout", ""); w.Code != 200 {
		t.Fatalf("logout = %d", w.Code)
	}
	wantError(t, e.as(e.a, "GET", "/api/agents/"+e.a.agent.ID, ""), 401)
}

func TestLoginThrottle(t *testing.T) {
	e := newEnv(t, backends[0])
	bad := fmt.Sprintf(`{"email":%q,"password":"wrong"}`, e.a.user.Email)
	for i := 0; i < 5; i++ {
		wantError(t, e.do("POST", "/api/login", bad), 401)
	}
	w := e.do("POST", "/api/login", fmt.Sprintf(`{"email":%q,"password":%q}`, e.a.user.Email, testPassword))
	wantError(t, w, 429)
	if ra := string(w.Header().Peek("Retry-After")); ra == "" || ra == "0" {
		t.Errorf("Retry-After = %q; want seconds", ra)
	}
	// Another account is not affected.
	if w := e.do("POST", "/api/login", fmt.Sprintf(`{"email":%q,"password":%q}`, e.b.user.Email, testPassword)); w.Code != 200 {
		t.Errorf("other account login = %d; want 200", w.Code)
	}
}

func TestLoginThrottlePerIP(t *testing.T) {
	e := newEnv(t, backends[0], func(c *httpapiConfig, _ *httpapiDeps) {
		c.LoginThrottle = auth.NewMemoryThrottle(server.LoginLimits{PerAddress: 8}, 0)
	})
	for i := 0; i < 8; i++ {
		wantError(t, e.do("POST", "/api/login", fmt.Sprintf(`{"email":"spray%d@example.com","password":"x"}`, i)), 401)
	}
	wantError(t, e.do("POST", "/api/login", fmt.Sprintf(`{"email":%q,"password":%q}`, e.b.user.Email, testPassword)), 429)
}
