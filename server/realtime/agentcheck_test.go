package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/wsclient"
	"github.com/echosenseix/echosenseix/server"
)

// Agents of the fake organizations: agentA of orgA and org1, agentB of orgB.
const (
	agentA = "0190e6a4-0000-7000-8000-00000000000a"
	agentB = "0190e6a4-0000-7000-8000-00000000000b"
)

// fakeAgents is an AgentFinder over fixed organizations; err, when set, is
// every lookup's answer.
type fakeAgents struct {
	orgs  map[string][]string
	err   error
	calls atomic.Int64
}

func (f *fakeAgents) Agent(_ context.Context, orgID, id string) (*server.Agent, error) {
	f.calls.Add(1)
	if f.err != nil {
		return nil, f.err
	}
	for _, a := range f.orgs[orgID] {
		if a == id {
			return &server.Agent{ID: id, OrganizationID: orgID}, nil
		}
	}
	return nil, server.Errorf(server.ENOTFOUND, "agent not found")
}

func newFakeAgents() *fakeAgents {
	return &fakeAgents{orgs: map[string][]string{"orgA": {agentA}, "org1": {agentA}, "orgB": {agentB}}}
}

// TestSyncRequestAgentChecked: a sync_request whose agentId is
// malformed, unknown or another organization's gets an error frame and
// nothing is broadcast, to its organization or any other; its own
// organization's agent starts the sync.
func TestSyncRequestAgentChecked(t *testing.T) {
	forEachMode(t, func(t *testing.T, newServer serverFunc) {
		agents := newFakeAgents()
		ts := newServer(t, Config{Agents: agents}, newFakeBus(), DefaultSyncer)
		a1 := mustConnect(t, ts.url, "orgA", "u1")
		a2 := mustConnect(t, ts.url, "orgA", "u2")
		b1 := mustConnect(t, ts.url, "orgB", "u3")
		tests := []struct {
			name, agentID, want string
		}{
			{"missing", "", msgSyncAgentID},
			{"malformed", "ag1", msgSyncAgentID},
			{"injection", `x","organizationId":"orgB`, msgSyncAgentID},
			{"overlong", strings.Repeat("a", 3000), msgSyncAgentID},
			{"unknown", "0190e6a4-0000-7000-8000-0000000000ff", msgSyncNoAgent},
			{"other organization's", agentB, msgSyncNoAgent},
			{"other organization's, upper case", strings.ToUpper(agentB), msgSyncNoAgent},
		}
		for _, tt := range tests {
			if err := a1.WriteJSON(map[string]any{"type": "sync_request", "data": map[string]string{"agentId": tt.agentID}}); err != nil {
				t.Fatal(err)
			}
			m := mustRead(t, a1)
			if want := `{"message":"` + tt.want + `"}`; m.Type != TypeError || string(m.Data) != want {
				t.Errorf("%s: got %s %s; want error %s", tt.name, m.Type, m.Data, want)
			}
		}
		// Nothing was broadcast: each observer's next message is its marker.
		for _, o := range []struct {
			org  string
			conn *wsclient.Conn
		}{{"orgA", a2}, {"orgB", b1}} {
			mustPublish(t, ts.hub.bus, o.org, server.EventCallCompleted, `{"marker":true}`)
			if m := mustRead(t, o.conn); m.Type != server.EventCallCompleted || string(m.Data) != `{"marker":true}` {
				t.Errorf("%s observer got %s %s; want only its marker (no sync broadcast)", o.org, m.Type, m.Data)
			}
		}
		_ = mustRead(t, a1) // a1's own marker
		if err := a1.WriteJSON(map[string]any{"type": "sync_request", "data": map[string]string{"agentId": strings.ToUpper(agentA)}}); err != nil {
			t.Fatal(err)
		}
		m := mustRead(t, a2)
		var d SyncData
		_ = json.Unmarshal(m.Data, &d)
		if m.Type != server.EventSyncStarted || d.AgentID != agentA {
			t.Errorf("own agent: observer got %s %s; want sync_started for %s", m.Type, m.Data, agentA)
		}
	})
}

// TestSyncAgentRefusals covers the refusals that need no socket: a hub
// without an AgentFinder refuses every sync_request, and a failing store
// answers "retry later" rather than "not found".
func TestSyncAgentRefusals(t *testing.T) {
	down := newFakeAgents()
	down.err = server.WrapError(server.EUNAVAILABLE, "database unavailable", errors.New("down"))
	tests := []struct {
		name    string
		agents  AgentFinder
		agentID string
		wantID  string
		want    string
	}{
		{"no finder", nil, agentA, "", msgSyncNoAgent},
		{"store down", down, agentA, "", msgSyncAgentCheck},
		{"own agent", newFakeAgents(), agentA, agentA, ""},
	}
	for _, tt := range tests {
		h := NewHub(Config{PingInterval: time.Hour, Agents: tt.agents}, nil, nil, nil)
		id, refusal := h.syncAgent("orgA", tt.agentID)
		if id != tt.wantID || refusal != tt.want {
			t.Errorf("%s: syncAgent = (%q, %q); want (%q, %q)", tt.name, id, refusal, tt.wantID, tt.want)
		}
		_ = h.Shutdown(context.Background())
	}
}
