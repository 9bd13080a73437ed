package app_test

import (
	"testing"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/app"
)

// TestAuthenticateRealtime: a valid token authenticates with its own
// organization; a forged one, and one issued before the user's last "log
// out everywhere", answer ErrBadRealtimeToken; no credential answers
// ErrNoSession.
func TestAuthenticateRealtime(t *testing.T) {
	e := newEnv(t)
	id := app.Identity{UserID: "00000000-0000-4000-8000-0000000000aa", OrgID: e.org.ID}
	tok, _ := e.svc.RealtimeToken(id, []byte("sid-1"))
	got, session, err := e.svc.AuthenticateRealtime(tctx(t), tok, nil)
	if err != nil || got != id || session != app.SessionTag([]byte("sid-1")) {
		t.Fatalf("AuthenticateRealtime(token) = %+v, %q, %v; want %+v and the session's tag", got, session, err, id)
	}
	if _, _, err := e.svc.AuthenticateRealtime(tctx(t), tok+"x", nil); err != app.ErrBadRealtimeToken {
		t.Errorf("AuthenticateRealtime(forged) = %v; want ErrBadRealtimeToken", err)
	}
	if _, _, err := e.svc.AuthenticateRealtime(tctx(t), "", nil); err != app.ErrNoSession {
		t.Errorf("AuthenticateRealtime(nothing) = %v; want ErrNoSession", err)
	}
	if err := e.svc.LogoutAll(tctx(t), id); err != nil {
		t.Fatalf("LogoutAll = %v; want nil", err)
	}
	if _, _, err := e.svc.AuthenticateRealtime(tctx(t), tok, nil); server.ErrorCode(err) != server.EUNAUTHORIZED {
		t.Errorf("AuthenticateRealtime(token issued before logout-all) = %v; want EUNAUTHORIZED", err)
	}
}
