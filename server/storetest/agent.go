package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

func testAgents(t *testing.T, s Stores) {
	o := MustOrganization(t, s, "Acme")
	a := &server.Agent{OrganizationID: o.ID, Name: "Support", ExternalAgentID: "ext_" + suffix(),
		Description: "d", FirstMessage: "hi", SystemPrompt: "be nice", VoiceID: "v1",
		Settings: json.RawMessage(`{"temperature": 0.5, "tools": ["a"]}`), IsActive: true}
	if err := s.Agents.CreateAgent(ctx(t), a); err != nil {
		t.Fatalf("CreateAgent() = %v; want nil", err)
	}
	if a.ID == "" || a.CreatedAt.IsZero() || a.UpdatedAt.IsZero() {
		t.Fatalf("CreateAgent left ID %q, CreatedAt %v, UpdatedAt %v; want all set", a.ID, a.CreatedAt, a.UpdatedAt)
	}
	if a.Platform != server.DefaultAgentPlatform || a.Language != server.DefaultAgentLanguage {
		t.Errorf("defaults: platform %q, language %q; want %q, %q", a.Platform, a.Language, server.DefaultAgentPlatform, server.DefaultAgentLanguage)
	}
	got, err := s.Agents.Agent(ctx(t), o.ID, a.ID)
	if err != nil {
		t.Fatalf("Agent() = %v; want nil", err)
	}
	assertAgent(t, got, a)

	byExt, err := s.Lookup.AgentByExternalID(ctx(t), a.ExternalAgentID)
	if err != nil || byExt.ID != a.ID || byExt.OrganizationID != o.ID {
		t.Errorf("AgentByExternalID() = %+v, %v; want agent %s of org %s", byExt, err, a.ID, o.ID)
	}
	for _, ext := range []string{"", "ext_unknown"} {
		_, err = s.Lookup.AgentByExternalID(ctx(t), ext)
		wantCode(t, "AgentByExternalID("+ext+")", err, server.ENOTFOUND)
	}

	err = s.Agents.CreateAgent(ctx(t), &server.Agent{OrganizationID: o.ID})
	wantCode(t, "CreateAgent(no name)", err, server.EINVALID)
	err = s.Agents.CreateAgent(ctx(t), &server.Agent{OrganizationID: missingID, Name: "x"})
	wantCode(t, "CreateAgent(unknown org)", err, server.ENOTFOUND)

	// Listing: created_at ascending; agents without external id may repeat "".
	var want []string
	want = append(want, a.ID)
	for i := 0; i < 3; i++ {
		b := &server.Agent{OrganizationID: o.ID, Name: "n"}
		if err := s.Agents.CreateAgent(ctx(t), b); err != nil {
			t.Fatalf("CreateAgent(no external id #%d) = %v; want nil", i, err)
		}
		want = append(want, b.ID)
	}
	list, err := s.Agents.Agents(ctx(t), o.ID)
	if err != nil {
		t.Fatalf("Agents() = %v; want nil", err)
	}
	if got := agentIDs(list); !equalStrings(got, want) {
		t.Errorf("Agents() = %v; want %v", got, want)
	}
	for i := 1; i < len(list); i++ {
		if list[i].CreatedAt.Before(list[i-1].CreatedAt) {
			t.Errorf("Agents()[%d].CreatedAt %v before [%d] %v; want ascending", i, list[i].CreatedAt, i-1, list[i-1].CreatedAt)
		}
	}
	if empty, err := s.Agents.Agents(ctx(t), missingID); err != nil || len(empty) != 0 {
		t.Errorf("Agents(unknown org) = %v, %v; want empty, nil", empty, err)
	}

	if err := s.Agents.DeleteAgent(ctx(t), o.ID, a.ID); err != nil {
		t.Fatalf("DeleteAgent() = %v; want nil", err)
	}
	_, err = s.Agents.Agent(ctx(t), o.ID, a.ID)
	wantCode(t, "Agent(deleted)", err, server.ENOTFOUND)
	wantCode(t, "DeleteAgent(deleted)", s.Agents.DeleteAgent(ctx(t), o.ID, a.ID), server.ENOTFOUND)
	_, err = s.Lookup.AgentByExternalID(ctx(t), a.ExternalAgentID)
	wantCode(t, "AgentByExternalID(deleted)", err, server.ENOTFOUND)
	if list, _ := s.Agents.Agents(ctx(t), o.ID); len(list) != 3 {
		t.Errorf("Agents() after delete has %d agents; want 3", len(list))
	}
	// The external id of a deleted agent is free again.
	again := &server.Agent{OrganizationID: o.ID, Name: "again", ExternalAgentID: a.ExternalAgentID}
	if err := s.Agents.CreateAgent(ctx(t), again); err != nil {
		t.Errorf("CreateAgent(reused external id) = %v; want nil", err)
	}
}

func assertAgent(t testing.TB, got, want *server.Agent) {
	t.Helper()
	if got.ID != want.ID || got.OrganizationID != want.OrganizationID || got.Platform != want.Platform ||
		got.ExternalAgentID != want.ExternalAgentID || got.Name != want.Name || got.Description != want.Description ||
		got.FirstMessage != want.FirstMessage || got.SystemPrompt != want.SystemPrompt || got.Language != want.Language ||
		got.VoiceID != want.VoiceID || got.IsActive != want.IsActive {
		t.Errorf("agent = %+v; want %+v", got, want)
	}
	if !jsonEqual(got.Settings, want.Settings) {
		t.Errorf("agent settings = %s; want %s", got.Settings, want.Settings)
	}
	if !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Errorf("agent times = %v, %v; want %v, %v", got.CreatedAt, got.UpdatedAt, want.CreatedAt, want.UpdatedAt)
	}
}

func agentIDs(list []*server.Agent) []string {
	ids := make([]string, len(list))
	for i, a := range list {
		ids[i] = a.ID
	}
	return ids
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func ptr[T any](v T) *T { return &v }

func testAgentPatch(t *testing.T, s Stores) {
	o := MustOrganization(t, s, "Acme")
	a := &server.Agent{OrganizationID: o.ID, Name: "Support", ExternalAgentID: "ext_" + suffix(), Description: "keep",
		Settings: json.RawMessage(`{"a":1}`), IsActive: true}
	if err := s.Agents.CreateAgent(ctx(t), a); err != nil {
		t.Fatalf("CreateAgent() = %v; want nil", err)
	}
	time.Sleep(2 * time.Millisecond) // UpdatedAt must move forward
	settings := json.RawMessage(`{"b":2}`)
	got, err := s.Agents.UpdateAgent(ctx(t), o.ID, a.ID, &server.AgentPatch{Name: ptr("Sales"), IsActive: ptr(false), Settings: &settings})
	if err != nil {
		t.Fatalf("UpdateAgent() = %v; want nil", err)
	}
	want := *a
	want.Name, want.IsActive, want.Settings = "Sales", false, settings
	if !got.UpdatedAt.After(a.UpdatedAt) {
		t.Errorf("UpdatedAt %v; want after %v", got.UpdatedAt, a.UpdatedAt)
	}
	want.UpdatedAt = got.UpdatedAt
	assertAgent(t, got, &want)
	stored, err := s.Agents.Agent(ctx(t), o.ID, a.ID)
	if err != nil {
		t.Fatalf("Agent() = %v; want nil", err)
	}
	assertAgent(t, stored, &want)

	// An empty patch changes nothing but is not an error.
	if _, err := s.Agents.UpdateAgent(ctx(t), o.ID, a.ID, &server.AgentPatch{}); err != nil {
		t.Errorf("UpdateAgent(empty) = %v; want nil", err)
	}
	_, err = s.Agents.UpdateAgent(ctx(t), o.ID, a.ID, &server.AgentPatch{Name: ptr("")})
	wantCode(t, "UpdateAgent(empty name)", err, server.EINVALID)
	bad := json.RawMessage(`[1]`)
	_, err = s.Agents.UpdateAgent(ctx(t), o.ID, a.ID, &server.AgentPatch{Settings: &bad})
	wantCode(t, "UpdateAgent(settings array)", err, server.EINVALID)
	_, err = s.Agents.UpdateAgent(ctx(t), o.ID, missingID, &server.AgentPatch{Name: ptr("x")})
	wantCode(t, "UpdateAgent(missing)", err, server.ENOTFOUND)
	if stored, _ := s.Agents.Agent(ctx(t), o.ID, a.ID); stored == nil || stored.Name != "Sales" {
		t.Errorf("failed patches changed the agent: %+v", stored)
	}
}

func testAgentExternalIDUnique(t *testing.T, s Stores) {
	o1 := MustOrganization(t, s, "One")
	o2 := MustOrganization(t, s, "Two")
	a := MustAgent(t, s, o1.ID, "A")
	err := s.Agents.CreateAgent(ctx(t), &server.Agent{OrganizationID: o2.ID, Name: "B", ExternalAgentID: a.ExternalAgentID})
	wantCode(t, "CreateAgent(duplicate external id, other org)", err, server.ECONFLICT)
	err = s.Agents.CreateAgent(ctx(t), &server.Agent{OrganizationID: o1.ID, Name: "B", ExternalAgentID: a.ExternalAgentID})
	wantCode(t, "CreateAgent(duplicate external id)", err, server.ECONFLICT)
	b := MustAgent(t, s, o1.ID, "B")
	_, err = s.Agents.UpdateAgent(ctx(t), o1.ID, b.ID, &server.AgentPatch{ExternalAgentID: ptr(a.ExternalAgentID)})
	wantCode(t, "UpdateAgent(duplicate external id)", err, server.ECONFLICT)
	if got, err := s.Lookup.AgentByExternalID(ctx(t), a.ExternalAgentID); err != nil || got.ID != a.ID {
		t.Errorf("AgentByExternalID() = %v, %v; want %s", got, err, a.ID)
	}
}

func testAgentTenantIsolation(t *testing.T, s Stores) {
	o1 := MustOrganization(t, s, "One")
	o2 := MustOrganization(t, s, "Two")
	a := MustAgent(t, s, o1.ID, "A")
	_, err := s.Agents.Agent(ctx(t), o2.ID, a.ID)
	wantCode(t, "Agent(other org)", err, server.ENOTFOUND)
	_, err = s.Agents.UpdateAgent(ctx(t), o2.ID, a.ID, &server.AgentPatch{Name: ptr("stolen")})
	wantCode(t, "UpdateAgent(other org)", err, server.ENOTFOUND)
	wantCode(t, "DeleteAgent(other org)", s.Agents.DeleteAgent(ctx(t), o2.ID, a.ID), server.ENOTFOUND)
	if list, err := s.Agents.Agents(ctx(t), o2.ID); err != nil || len(list) != 0 {
		t.Errorf("Agents(other org) = %v, %v; want empty", list, err)
	}
	got, err := s.Agents.Agent(ctx(t), o1.ID, a.ID)
	if err != nil || got.Name != "A" {
		t.Errorf("Agent(owner) = %+v, %v; want untouched agent", got, err)
	}
	for _, id := range []string{"not-a-uuid", ""} {
		_, err = s.Agents.Agent(ctx(t), o1.ID, id)
		wantCode(t, "Agent("+id+")", err, server.ENOTFOUND)
	}
}
