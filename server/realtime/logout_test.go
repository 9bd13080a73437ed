package realtime

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/echosenseix/echosenseix/internal/wsclient"
	"github.com/echosenseix/echosenseix/server"
)

// connectAs dials as user of org from session and reads the connected
// message.
func connectAs(tb testing.TB, url, org, user, session string) *wsclient.Conn {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := wsclient.Dial(ctx, url, http.Header{"X-Org": {org}, "X-User": {user}, "X-Session": {session}})
	if err != nil {
		tb.Fatalf("cannot dial %s: %v", url, err)
	}
	tb.Cleanup(func() { _ = c.NetConn().Close() })
	if m := mustRead(tb, c); m.Type != TypeConnected {
		tb.Fatalf("first message type = %q; want %q", m.Type, TypeConnected)
	}
	return c
}

func wantLoggedOut(tb testing.TB, name string, c *wsclient.Conn) {
	tb.Helper()
	if m, err := readWithin(c, 5*time.Second); !wsclient.IsClose(err, ws.StatusPolicyViolation) {
		tb.Fatalf("%s: got (%s, %v); want close 1008", name, m.Type, err)
	}
}

// wantOpen checks c still receives broadcasts and nothing else first.
func wantOpen(tb testing.TB, name string, c *wsclient.Conn) {
	tb.Helper()
	if m, err := readWithin(c, 5*time.Second); err != nil || m.Type != server.EventCallCompleted {
		tb.Fatalf("%s: got (%s, %v); want the call_completed broadcast", name, m.Type, err)
	}
}

// TestLogoutClosesSockets: a logout closes the sockets of that session on
// every instance (through the bus), a logout everywhere closes all of the
// user's, and no one else's; the internal event never reaches a client.
func TestLogoutClosesSockets(t *testing.T) {
	forEachMode(t, func(t *testing.T, newServer serverFunc) {
		bus := newFakeBus()
		a := newServer(t, Config{}, bus, nil)
		b := newServer(t, Config{}, bus, nil)
		a1 := connectAs(t, a.url, "org1", "u1", "s1")
		a2 := connectAs(t, a.url, "org1", "u1", "s2")
		a3 := connectAs(t, a.url, "org1", "u2", "s9")
		b1 := connectAs(t, b.url, "org1", "u1", "s1")
		b2 := connectAs(t, b.url, "org1", "u1", "")

		mustPublish(t, bus, "org1", server.EventSessionsEnded, `{"userId":"u1","session":"s1"}`)
		wantLoggedOut(t, "u1's s1 socket on A", a1)
		wantLoggedOut(t, "u1's s1 socket on B", b1)
		mustPublish(t, bus, "org1", server.EventCallCompleted, `{}`)
		wantOpen(t, "u1's s2 socket on A", a2)
		wantOpen(t, "u2's socket on A", a3)
		wantOpen(t, "u1's token socket on B", b2)

		if n := a.hub.CloseUser("org1", "u1", ""); n != 1 {
			t.Errorf("CloseUser on A: got %d closed; want 1", n)
		}
		wantLoggedOut(t, "u1's s2 socket on A", a2)
		mustPublish(t, bus, "org1", server.EventSessionsEnded, `{"userId":"u1"}`)
		wantLoggedOut(t, "u1's token socket on B", b2)
		mustPublish(t, bus, "org1", server.EventCallCompleted, `{}`)
		wantOpen(t, "u2's socket after u1 logged out everywhere", a3)
		if got := dropped(a.hub, ReasonLogout) + dropped(b.hub, ReasonLogout); got != 4 {
			t.Errorf("drops counted as logout: got %v; want 4", got)
		}
		mustPublish(t, bus, "org1", server.EventSessionsEnded, `not json`) // ignored, no panic
	})
}
