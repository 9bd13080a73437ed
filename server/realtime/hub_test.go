package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/wsclient"
	"github.com/echosenseix/echosenseix/server"
	"github.com/gobwas/ws"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestHandshakeErrors(t *testing.T) {
	forEachMode(t, func(t *testing.T, newServer serverFunc) {
		ts := newServer(t, Config{AllowedOrigins: []string{"https://app.example.com"}}, newFakeBus(), nil)
		good := map[string]string{
			"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
			"Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "X-Org": "org1", "X-User": "u1",
		}
		tests := []struct {
			name   string
			method string
			change map[string]string // "" deletes
			want   int
		}{
			{"no credential", "GET", map[string]string{"X-Org": ""}, http.StatusUnauthorized},
			{"missing key", "GET", map[string]string{"Sec-WebSocket-Key": ""}, http.StatusBadRequest},
			{"short key", "GET", map[string]string{"Sec-WebSocket-Key": "abcd"}, http.StatusBadRequest},
			{"wrong version", "GET", map[string]string{"Sec-WebSocket-Version": "8"}, http.StatusUpgradeRequired},
			{"no upgrade", "GET", map[string]string{"Upgrade": ""}, http.StatusBadRequest},
			{"bad origin", "GET", map[string]string{"Origin": "https://evil.example.com"}, http.StatusForbidden},
			{"post", "POST", nil, http.StatusMethodNotAllowed},
			{"good origin", "GET", map[string]string{"Origin": "https://app.example.com"}, http.StatusSwitchingProtocols},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				req, _ := http.NewRequest(tt.method, ts.http, nil)
				for k, v := range good {
					req.Header.Set(k, v)
				}
				for k, v := range tt.change {
					if v == "" {
						req.Header.Del(k)
					} else {
						req.Header.Set(k, v)
					}
				}
				resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
				if err != nil {
					t.Fatalf("request: %v", err)
				}
				defer resp.Body.Close()
				if resp.StatusCode != tt.want {
					t.Fatalf("status = %d; want %d", resp.StatusCode, tt.want)
				}
				if tt.want == http.StatusSwitchingProtocols {
					if got, want := resp.Header.Get("Sec-WebSocket-Accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="; got != want {
						t.Errorf("Sec-WebSocket-Accept = %q; want %q", got, want)
					}
				}
			})
		}
	})
}

func TestConnectedMessage(t *testing.T) {
	forEachMode(t, func(t *testing.T, newServer serverFunc) {
		ts := newServer(t, Config{}, newFakeBus(), nil)
		c := mustDial(t, ts.url, "org-7", "user-3")
		m := mustRead(t, c)
		if m.Type != TypeConnected {
			t.Fatalf("type = %q; want %q", m.Type, TypeConnected)
		}
		var d ConnectedData
		if err := json.Unmarshal(m.Data, &d); err != nil {
			t.Fatalf("cannot decode data %s: %v", m.Data, err)
		}
		if d.OrganizationID != "org-7" || d.UserID != "user-3" || d.Message == "" {
			t.Errorf("data = %+v; want organizationId org-7, userId user-3, a message", d)
		}
		if time.Since(d.Timestamp) > time.Minute || d.Timestamp.After(time.Now().Add(time.Second)) {
			t.Errorf("timestamp = %v; want about now", d.Timestamp)
		}
		waitFor(t, 5*time.Second, "Count() == 1", func() bool { return ts.hub.Count() == 1 })
		if got := testutil.ToFloat64(ts.hub.metrics.open); got != 1 {
			t.Errorf("ws_connections_open = %v; want 1", got)
		}
		// Drops and broadcasts must not go through hertz's pooled hijack
		// wrapper: the connection underneath was found (pinned to hertz's
		// internals; this fails loudly if an upgrade changes them).
		if conns := ts.hub.snapshot(nil); len(conns) != 1 || !conns[0].unwrapped {
			t.Errorf("conn unwrapped = %v; want the socket under hertz's wrapper", len(conns) == 1 && conns[0].unwrapped)
		}
	})
}

func TestPingPong(t *testing.T) {
	forEachMode(t, func(t *testing.T, newServer serverFunc) {
		ts := newServer(t, Config{}, newFakeBus(), nil)
		c := mustConnect(t, ts.url, "org1", "u1")
		if err := c.WriteJSON(map[string]string{"type": "ping"}); err != nil {
			t.Fatal(err)
		}
		m := mustRead(t, c)
		var d struct{ Timestamp time.Time }
		if err := json.Unmarshal(m.Data, &d); m.Type != TypePong || err != nil || d.Timestamp.IsZero() {
			t.Fatalf("reply = %s %s; want pong with data.timestamp", m.Type, m.Data)
		}
		if err := c.WriteJSON(map[string]string{"type": "nonsense"}); err != nil {
			t.Fatal(err)
		}
		if m := mustRead(t, c); m.Type != TypeError {
			t.Fatalf("reply to unknown type = %q; want %q", m.Type, TypeError)
		}
		if got := testutil.ToFloat64(ts.hub.metrics.in); got != 2 {
			t.Errorf("ws_messages_in_total = %v; want 2", got)
		}
	})
}

func TestProtocolViolationsClose(t *testing.T) {
	forEachMode(t, func(t *testing.T, newServer serverFunc) {
		ts := newServer(t, Config{MaxMessageSize: 64}, newFakeBus(), nil)
		tests := []struct {
			name  string
			frame ws.Frame
			want  ws.StatusCode
		}{
			{"too big", ws.MaskFrame(ws.NewTextFrame(make([]byte, 65))), ws.StatusMessageTooBig},
			{"unmasked", ws.NewTextFrame([]byte(`{"type":"ping"}`)), ws.StatusProtocolError},
			{"fragment", ws.MaskFrame(ws.NewFrame(ws.OpText, false, []byte(`{"ty`))), ws.StatusUnsupportedData},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := mustConnect(t, ts.url, "org1", "u1")
				if err := ws.WriteFrame(c.NetConn(), tt.frame); err != nil {
					t.Fatal(err)
				}
				_, err := readWithin(c, 5*time.Second)
				if !wsclient.IsClose(err, tt.want) {
					t.Fatalf("read err = %v; want close %d", err, tt.want)
				}
			})
		}
	})
}

// syncGate is a Syncer the test steps through.
type syncGate struct{ release chan struct{} }

func (g syncGate) run(ctx context.Context, orgID, agentID string, progress func(int)) error {
	progress(0)
	select {
	case <-g.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	progress(50)
	progress(100)
	return nil
}

func TestSyncRequestBroadcast(t *testing.T) {
	forEachMode(t, func(t *testing.T, newServer serverFunc) {
		gate := syncGate{release: make(chan struct{})}
		ts := newServer(t, Config{Agents: newFakeAgents()}, newFakeBus(), gate.run)
		a1 := mustConnect(t, ts.url, "orgA", "u1")
		a2 := mustConnect(t, ts.url, "orgA", "u2")
		b1 := mustConnect(t, ts.url, "orgB", "u3")

		if err := a1.WriteJSON(map[string]any{"type": "sync_request", "data": map[string]string{"agentId": agentA}}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []*wsclient.Conn{a1, a2} {
			for _, want := range []string{server.EventSyncStarted, server.EventSyncProgress} {
				if m := mustRead(t, c); m.Type != want || m.OrganizationID != "orgA" {
					t.Fatalf("got %s for %s; want %s for orgA", m.Type, m.OrganizationID, want)
				}
			}
		}
		// A second request while the first runs is refused, to that client only.
		if err := a2.WriteJSON(map[string]any{"type": "sync_request", "data": map[string]string{"agentId": agentA}}); err != nil {
			t.Fatal(err)
		}
		m := mustRead(t, a2)
		if m.Type != TypeError || !json.Valid(m.Data) || string(m.Data) != `{"message":"sync already running"}` {
			t.Fatalf("got %s %s; want error sync already running", m.Type, m.Data)
		}
		close(gate.release)
		wantRest := []struct {
			typ      string
			progress int
		}{{server.EventSyncProgress, 50}, {server.EventSyncProgress, 100}, {server.EventSyncCompleted, 100}}
		for _, c := range []*wsclient.Conn{a1, a2} {
			for _, want := range wantRest {
				m := mustRead(t, c)
				var d SyncData
				_ = json.Unmarshal(m.Data, &d)
				if m.Type != want.typ || d.Progress != want.progress || d.AgentID != agentA {
					t.Fatalf("got %s %s; want %s progress %d agent %s", m.Type, m.Data, want.typ, want.progress, agentA)
				}
			}
		}
		// orgB saw none of it: its next message is the marker.
		mustPublish(t, ts.hub.bus, "orgB", server.EventCallCompleted, `{"marker":true}`)
		if m := mustRead(t, b1); m.Type != server.EventCallCompleted || m.OrganizationID != "orgB" {
			t.Fatalf("orgB got %s for %s; want its marker call_completed", m.Type, m.OrganizationID)
		}
		// The organization is free again.
		waitFor(t, 5*time.Second, "sync to end", func() bool {
			ts.hub.syncMu.Lock()
			defer ts.hub.syncMu.Unlock()
			return !ts.hub.syncing["orgA"]
		})
	})
}

func TestEventCrossesInstances(t *testing.T) {
	forEachMode(t, func(t *testing.T, newServer serverFunc) {
		bus := newFakeBus()
		instA := newServer(t, Config{Agents: newFakeAgents()}, bus, DefaultSyncer)
		instB := newServer(t, Config{}, bus, DefaultSyncer)
		onB := mustConnect(t, instB.url, "org1", "u1")
		onA := mustConnect(t, instA.url, "org1", "u2")

		// A webhook on instance A publishes; the client on B receives it.
		mustPublish(t, bus, "org1", server.EventCallCompleted, `{"conversationId":"c-1"}`)
		m := mustRead(t, onB)
		if m.Type != server.EventCallCompleted || string(m.Data) != `{"conversationId":"c-1"}` || m.OrganizationID != "org1" {
			t.Fatalf("client on B got %s %s %s; want call_completed for org1", m.Type, m.OrganizationID, m.Data)
		}
		_ = mustRead(t, onA)
		// A sync requested through instance A is seen by the client on B.
		if err := onA.WriteJSON(map[string]any{"type": "sync_request", "data": map[string]string{"agentId": agentA}}); err != nil {
			t.Fatal(err)
		}
		if m := mustRead(t, onB); m.Type != server.EventSyncStarted {
			t.Fatalf("client on B got %s; want sync_started", m.Type)
		}
		// B wrote call_completed and sync_started to onB: two fan-out samples.
		waitFor(t, 5*time.Second, "two fan-out samples on B", func() bool { return fanoutCount(instB.hub) >= 2 })
	})
}

func TestShutdownSendsGoingAway(t *testing.T) {
	forEachMode(t, func(t *testing.T, newServer serverFunc) {
		ts := newServer(t, Config{}, newFakeBus(), nil)
		var conns []*wsclient.Conn
		for i := range 3 {
			conns = append(conns, mustConnect(t, ts.url, "org1", string(rune('a'+i))))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := ts.hub.Shutdown(ctx); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		for i, c := range conns {
			if _, err := readWithin(c, 5*time.Second); !wsclient.IsClose(err, StatusServiceRestart) {
				t.Errorf("client %d read err = %v; want close 1012", i, err)
			}
		}
		if got := ts.hub.Count(); got != 0 {
			t.Errorf("Count() after Shutdown = %d; want 0", got)
		}
		// New upgrades are refused while shut down: 503 from hertz, or no
		// listener at all on the dedicated one.
		_, err := wsclient.Dial(ctx, ts.url, http.Header{"X-Org": {"org1"}})
		var he *wsclient.HandshakeError
		if err == nil || (errors.As(err, &he) && he.Status != http.StatusServiceUnavailable) {
			t.Errorf("dial after Shutdown err = %v; want HTTP 503 or refused", err)
		}
	})
}

func TestHeartbeatDropsSilentClients(t *testing.T) {
	forEachMode(t, func(t *testing.T, newServer serverFunc) {
		ts := newServer(t, Config{PingInterval: 100 * time.Millisecond, PongTimeout: 100 * time.Millisecond}, newFakeBus(), nil)
		silent := mustConnect(t, ts.url, "org1", "silent") // never reads, so never answers pings
		alive := mustConnect(t, ts.url, "org1", "alive")
		done := make(chan error, 1)
		go func() {
			// ReadMessage answers pings; it returns when the hub closes us.
			_ = alive.SetReadDeadline(time.Now().Add(time.Second))
			_, err := alive.ReadMessage()
			done <- err
		}()
		waitFor(t, 5*time.Second, "the silent client to be dropped", func() bool { return dropped(ts.hub, ReasonTimeout) == 1 })
		if _, err := readWithin(silent, 5*time.Second); err == nil {
			t.Errorf("silent client still open after drop")
		}
		waitFor(t, 5*time.Second, "Count() == 1 (the answering client)", func() bool { return ts.hub.Count() == 1 })
		if err := <-done; err == nil || wsclient.IsClose(err) {
			t.Errorf("answering client ended with %v; want only its read deadline", err)
		}
	})
}

// TestJoinAfterShutdown: once Shutdown has begun, join adds nothing (no
// organization goroutine that Shutdown's wait would miss, no count); the
// race detector caught a hijacked connection joining while Shutdown waited.
func TestJoinAfterShutdown(t *testing.T) {
	h := NewHub(Config{PingInterval: time.Hour}, nil, nil, nil)
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if h.join(&conn{hub: h}, "org1") {
		t.Fatal("join after Shutdown = true; want false")
	}
	if n, orgs := h.Count(), len(h.orgs); n != 0 || orgs != 0 {
		t.Fatalf("after a refused join: %d connections, %d organizations; want 0, 0", n, orgs)
	}
}
