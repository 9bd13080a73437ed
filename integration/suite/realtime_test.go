package suite_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/integration/harness"
	"github.com/echosenseix/echosenseix/internal/wsclient"
)

// wsMessage is any server message of /ws/realtime-sync.
type wsMessage struct {
	Type           string          `json:"type"`
	OrganizationID string          `json:"organizationId"`
	Data           json.RawMessage `json:"data"`
}

func wsURL(i *harness.Instance, query string) string {
	return "ws://" + strings.TrimPrefix(i.URL, "http://") + "/ws/realtime-sync" + query
}

// dialWS connects and reads the "connected" message, checking its
// organization.
func dialWS(t *testing.T, url string, hdr http.Header, wantOrg string) *wsclient.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := wsclient.Dial(ctx, url, hdr)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	m := readWS(t, c, 5*time.Second, func(m wsMessage) bool { return m.Type == "connected" })
	var data struct {
		OrganizationID string `json:"organizationId"`
	}
	if err := json.Unmarshal(m.Data, &data); err != nil || data.OrganizationID != wantOrg {
		t.Fatalf("connected message %s: organization %q; want %q (%v)", m.Data, data.OrganizationID, wantOrg, err)
	}
	return c
}

// readWS reads messages until want matches one, failing after d.
func readWS(t *testing.T, c *wsclient.Conn, d time.Duration, want func(wsMessage) bool) wsMessage {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(d))
	defer func() { _ = c.SetReadDeadline(time.Time{}) }()
	var seen []string
	for {
		var m wsMessage
		if err := c.ReadJSON(&m); err != nil {
			t.Fatalf("websocket read (after %v): %v", seen, err)
		}
		if want(m) {
			return m
		}
		seen = append(seen, m.Type)
	}
}

// TestRealtimeAcrossInstances: a post-call webhook landing on A
// reaches the organization's clients on B (cookie and token auth) and on A;
// a sync_request sent on B is broadcast to the organization's client on A;
// another organization's client on B sees none of it; bad credentials are
// refused before the upgrade.
func TestRealtimeAcrossInstances(t *testing.T) {
	d := deploy(t, 2, 2, 1, 1, map[string]string{"SESSION_STORE": "redis", "CACHE_PROVIDER": "redis"})
	a, b := d.Insts[0], d.Insts[1]
	org, other := d.Seed.Organizations[0], d.Seed.Organizations[1]
	c := harness.Login(t, a, d.User.Email, d.User.Password)
	cOther := harness.Login(t, b, other.Users[0].Email, other.Users[0].Password)

	var tok struct{ Token string }
	if err := c.Must(t, 200, "GET", a.URL+"/api/realtime/token", nil).JSON(&tok); err != nil || tok.Token == "" {
		t.Fatalf("GET /api/realtime/token: %q %v", tok.Token, err)
	}
	onB := dialWS(t, wsURL(b, ""), cookieHeader(c), org.ID)
	onBToken := dialWS(t, wsURL(b, "?token="+tok.Token), nil, org.ID) // token from A, used on B
	onA := dialWS(t, wsURL(a, ""), cookieHeader(c), org.ID)
	otherOnB := dialWS(t, wsURL(b, ""), cookieHeader(cOther), other.ID)

	t.Run("bad credentials refused before upgrade", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			url  string
			hdr  http.Header
		}{
			{"no credential", wsURL(b, ""), nil},
			{"bad token", wsURL(b, "?token=forged.token"), nil},
			{"bad cookie", wsURL(b, ""), http.Header{"Cookie": {"sid=not-a-session"}}},
		} {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			conn, err := wsclient.Dial(ctx, tc.url, tc.hdr)
			cancel()
			var he *wsclient.HandshakeError
			if err == nil {
				_ = conn.Close()
				t.Errorf("%s: upgraded; want 401", tc.name)
			} else if !errors.As(err, &he) || he.Status != 401 {
				t.Errorf("%s: %v; want handshake refused with 401", tc.name, err)
			}
		}
	})

	// The webhook lands on A.
	agent := org.Agents[0]
	body := harness.PostCallBody(agent.ExternalAgentID, "conv-realtime-1", 42)
	r := c.Must(t, 200, "POST", a.URL+"/api/webhooks/post-call", body, harness.SignatureHeader, harness.SignWebhook(org.WebhookSecret, body))
	landed := time.Now()
	var ans struct {
		ID      string `json:"id"`
		Created bool   `json:"created"`
	}
	if err := r.JSON(&ans); err != nil || !ans.Created {
		t.Fatalf("webhook answer %s; want created", r)
	}
	isCall := func(m wsMessage) bool {
		return m.Type == "call_completed" && strings.Contains(string(m.Data), `"conv-realtime-1"`)
	}
	var lat latencies
	for _, conn := range []*wsclient.Conn{onB, onBToken, onA} {
		m := readWS(t, conn, 5*time.Second, isCall)
		lat = append(lat, time.Since(landed))
		var data struct {
			CallLogID string `json:"callLogId"`
			AgentID   string `json:"agentId"`
		}
		if err := json.Unmarshal(m.Data, &data); err != nil || data.CallLogID != ans.ID || data.AgentID != agent.ID || m.OrganizationID != org.ID {
			t.Errorf("call_completed = %+v %s; want call log %s of agent %s in %s", m, m.Data, ans.ID, agent.ID, org.ID)
		}
	}
	t.Logf("webhook answered on A -> call_completed read on B (cookie), B (token), A: %v", lat)

	// sync_request on B: the organization's client on A sees the whole sync.
	if err := onB.WriteJSON(map[string]any{"type": "sync_request", "data": map[string]string{"agentId": agent.ID}}); err != nil {
		t.Fatal(err)
	}
	var types []string
	readWS(t, onA, 5*time.Second, func(m wsMessage) bool {
		if strings.HasPrefix(m.Type, "sync_") {
			types = append(types, m.Type)
			if m.OrganizationID != org.ID {
				t.Errorf("%s on A for organization %q; want %q", m.Type, m.OrganizationID, org.ID)
			}
		}
		return m.Type == "sync_completed" || m.Type == "sync_failed"
	})
	if len(types) < 3 || types[0] != "sync_started" || types[len(types)-1] != "sync_completed" {
		t.Errorf("sync messages on A = %v; want sync_started, sync_progress..., sync_completed", types)
	}
	readWS(t, onB, 5*time.Second, func(m wsMessage) bool { return m.Type == "sync_completed" })

	// The other organization's client on B received nothing of this: every
	// event above went through B's hub before sync_completed reached onB.
	_ = otherOnB.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	var m wsMessage
	err := otherOnB.ReadJSON(&m)
	var ne net.Error
	switch {
	case err == nil:
		t.Errorf("client of another organization received %+v %s; want nothing", m, m.Data)
	case !errors.As(err, &ne) || !ne.Timeout():
		t.Errorf("client of another organization: %v; want a read timeout", err)
	}
}
