package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cloudwego/hertz/pkg/common/ut"
	"github.com/cloudwego/hertz/pkg/protocol"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/inmem"
	"github.com/echosenseix/echosenseix/server/redis"
)

// sessionStores are the real stores the logout tests run on.
var sessionStores = []struct {
	name string
	new  func(tb testing.TB, ttl time.Duration) server.SessionStore
}{
	{"memory", func(_ testing.TB, ttl time.Duration) server.SessionStore { return inmem.NewSessionStore(ttl) }},
	{"redis", func(tb testing.TB, ttl time.Duration) server.SessionStore {
		cfg := redisConfig(tb)
		rc, err := redis.NewClient(cfg)
		if err != nil {
			tb.Fatalf("redis.NewClient: %v", err)
		}
		tb.Cleanup(rc.Close)
		return redis.NewSessionStore(rc, cfg, ttl)
	}},
}

func withSessions(st server.SessionStore, rt *fakeRealtime) envOption {
	return func(c *httpapiConfig, d *httpapiDeps) {
		d.Sessions = st
		if rt != nil {
			d.Realtime = rt
		}
	}
}

// sessionsEnded answers the data of every sessions_ended event published.
func (e *env) sessionsEnded() []server.SessionsEnded {
	var out []server.SessionsEnded
	for _, ev := range e.bus.published() {
		if ev.Type != server.EventSessionsEnded {
			continue
		}
		var d server.SessionsEnded
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			e.t.Fatalf("sessions_ended data %s: %v", ev.Data, err)
		}
		out = append(out, d)
	}
	return out
}

func (e *env) token(tn tenant) string {
	e.t.Helper()
	return decode[struct{ Token string }](e.t, e.as(tn, "GET", "/api/realtime/token", "")).Token
}

// TestLogoutAll: POST /api/logout-all ends every session of the user (and
// no one else's), refuses the user's realtime tokens issued before it,
// closes the user's sockets here and tells the other instances; a new
// login works.
func TestLogoutAll(t *testing.T) {
	for _, ss := range sessionStores {
		t.Run(ss.name, func(t *testing.T) {
			rt := &fakeRealtime{}
			e := newEnv(t, backends[0], withSessions(ss.new(t, time.Hour), rt))
			second := e.login(e.a.user.Email, testPassword)
			third := e.login(e.a.user.Email, testPassword)
			oldToken := e.token(e.a)
			otherToken := e.token(e.b)
			time.Sleep(2 * time.Millisecond) // tokens are stamped to the millisecond
			w := e.do("POST", "/api/logout-all", "", "Cookie: "+second)
			if w.Code != 200 {
				t.Fatalf("logout-all: got %d %s; want 200", w.Code, w.Body.String())
			}
			if ck := sessionCookie(t, w); ck.MaxAge() >= 0 && ck.Expire().After(time.Now()) {
				t.Errorf("logout-all cookie %s does not clear the session", ck.String())
			}
			for i, ck := range []string{e.a.cookie, second, third} {
				if w := e.do("GET", "/api/auth/user", "", "Cookie: "+ck); w.Code != 401 {
					t.Errorf("session %d of the user after logout-all: got %d; want 401", i, w.Code)
				}
			}
			if w := e.as(e.b, "GET", "/api/auth/user", ""); w.Code != 200 {
				t.Errorf("another user's session after logout-all: got %d; want 200", w.Code)
			}
			ctx := context.Background()
			if _, _, _, err := e.srv.AuthenticateRequest(ctx, "", oldToken); server.ErrorCode(err) != server.EUNAUTHORIZED {
				t.Errorf("realtime token issued before logout-all: got %v; want EUNAUTHORIZED", err)
			}
			if _, _, _, err := e.srv.AuthenticateRequest(ctx, "", otherToken); err != nil {
				t.Errorf("another user's realtime token: got %v; want accepted", err)
			}
			want := e.a.org.ID + "/" + e.a.user.ID + "/"
			if len(rt.closed) != 1 || rt.closed[0] != want {
				t.Errorf("sockets closed here: got %q; want [%q]", rt.closed, want)
			}
			if got := e.sessionsEnded(); len(got) != 1 || got[0] != (server.SessionsEnded{UserID: e.a.user.ID}) {
				t.Errorf("sessions_ended published: got %+v; want one for user %s, every session", got, e.a.user.ID)
			}
			e.a.cookie = e.login(e.a.user.Email, testPassword)
			if _, _, _, err := e.srv.AuthenticateRequest(ctx, "", e.token(e.a)); err != nil {
				t.Errorf("token after a new login: got %v; want accepted", err)
			}
			wantError(t, e.do("POST", "/api/logout-all", ""), 401)
		})
	}
}

// TestLogoutClosesSessionSockets: a plain logout closes the sockets opened
// from that session (by cookie, or by a token issued from it), not the
// user's others.
func TestLogoutClosesSessionSockets(t *testing.T) {
	rt := &fakeRealtime{}
	e := newEnv(t, backends[0], withSessions(inmem.NewSessionStore(time.Hour), rt))
	ctx := context.Background()
	_, _, byCookie, err := e.srv.AuthenticateRequest(ctx, strings.TrimPrefix(e.a.cookie, "sid="), "")
	if err != nil || byCookie == "" {
		t.Fatalf("socket by cookie: got session tag %q, %v; want a tag", byCookie, err)
	}
	_, _, byToken, err := e.srv.AuthenticateRequest(ctx, "", e.token(e.a))
	if err != nil || byToken != byCookie {
		t.Fatalf("socket by a token of the same session: got tag %q, %v; want %q", byToken, err, byCookie)
	}
	other := e.login(e.a.user.Email, testPassword)
	if _, _, tag, _ := e.srv.AuthenticateRequest(ctx, strings.TrimPrefix(other, "sid="), ""); tag == byCookie {
		t.Fatalf("two sessions share the tag %q; want distinct", tag)
	}
	if strings.Contains(byCookie, strings.TrimPrefix(e.a.cookie, "sid=")) {
		t.Fatal("the session tag reveals the session id")
	}
	if w := e.as(e.a, "POST", "/api/logout", ""); w.Code != 200 {
		t.Fatalf("logout: got %d", w.Code)
	}
	want := e.a.org.ID + "/" + e.a.user.ID + "/" + byCookie
	if len(rt.closed) != 1 || rt.closed[0] != want {
		t.Errorf("sockets closed here: got %q; want [%q]", rt.closed, want)
	}
	if got := e.sessionsEnded(); len(got) != 1 || got[0] != (server.SessionsEnded{UserID: e.a.user.ID, Session: byCookie}) {
		t.Errorf("sessions_ended published: got %+v; want the one session", got)
	}
	if w := e.do("GET", "/api/auth/user", "", "Cookie: "+other); w.Code != 200 {
		t.Errorf("the user's other session after a plain logout: got %d; want 200", w.Code)
	}
}

// cookieOf answers the response's sid cookie, if any.
func cookieOf(w *ut.ResponseRecorder) (*protocol.Cookie, bool) {
	var ck protocol.Cookie
	ck.SetKey("sid")
	return &ck, w.Header().Cookie(&ck)
}

// TestCookieSlides: when a request renews the session (at most every tenth
// of the TTL) its response re-sets the cookie with the new Max-Age; other
// responses set no cookie.
func TestCookieSlides(t *testing.T) {
	for _, ss := range sessionStores {
		t.Run(ss.name, func(t *testing.T) {
			const ttl = 4 * time.Second
			e := newEnv(t, backends[0], withSessions(ss.new(t, ttl), nil))
			w := e.do("POST", "/api/login", fmt.Sprintf(`{"email":%q,"password":%q}`, e.a.user.Email, testPassword))
			login := sessionCookie(t, w)
			if login.MaxAge() != 4 {
				t.Fatalf("login cookie Max-Age: got %d; want 4", login.MaxAge())
			}
			cookie := "Cookie: sid=" + string(login.Value())
			if w := e.do("GET", "/api/auth/user", "", cookie); w.Code != 200 {
				t.Fatalf("auth/user: got %d", w.Code)
			} else if ck, ok := cookieOf(w); ok {
				t.Fatalf("request right after login set %s; want no cookie", ck.String())
			}
			time.Sleep(ttl/10 + 100*time.Millisecond)
			w = e.do("GET", "/api/auth/user", "", cookie)
			ck, ok := cookieOf(w)
			if w.Code != 200 || !ok {
				t.Fatalf("request past a tenth of the TTL: got %d, cookie %v; want 200 and a renewed cookie", w.Code, ok)
			}
			if string(ck.Value()) != string(login.Value()) || ck.MaxAge() != 4 || !ck.HTTPOnly() {
				t.Errorf("renewed cookie: got %s; want the same sid, Max-Age=4, HttpOnly", ck.String())
			}
			time.Sleep(20 * time.Millisecond)
			if ck, ok := cookieOf(e.do("GET", "/api/auth/user", "", cookie)); ok {
				t.Errorf("request right after a renewal set %s; want no cookie", ck.String())
			}
		})
	}
}
