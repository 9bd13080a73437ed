package storetest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// expected computes Analytics directly from what was inserted.
func expected(logs []*server.CallLog, agents []*server.Agent, agentID string) server.Analytics {
	var an server.Analytics
	var seconds, costUnits int64
	for _, l := range logs {
		if agentID != "" && l.AgentID != agentID {
			continue
		}
		an.TotalCalls++
		seconds += int64(l.Duration)
		costUnits += int64(math.Round(l.Cost * 1e4))
		if an.LastCallAt == nil || l.CreatedAt.After(*an.LastCallAt) {
			at := l.CreatedAt
			an.LastCallAt = &at
		}
	}
	for _, a := range agents {
		if a.IsActive && (agentID == "" || a.ID == agentID) {
			an.ActiveAgents++
		}
	}
	an.TotalMinutes = float64(seconds) / 60
	an.EstimatedCost = float64(costUnits) / 1e4
	return an
}

func assertAnalytics(t testing.TB, what string, got *server.Analytics, want server.Analytics) {
	t.Helper()
	timeOK := (got.LastCallAt == nil) == (want.LastCallAt == nil) &&
		(got.LastCallAt == nil || got.LastCallAt.Equal(*want.LastCallAt))
	if got.TotalCalls != want.TotalCalls || got.ActiveAgents != want.ActiveAgents || !timeOK ||
		math.Abs(got.TotalMinutes-want.TotalMinutes) > 1e-9 || math.Abs(got.EstimatedCost-want.EstimatedCost) > 1e-9 {
		t.Errorf("%s: Analytics = %s; want %s", what, fmtAnalytics(got), fmtAnalytics(&want))
	}
}

func fmtAnalytics(a *server.Analytics) string {
	last := "nil"
	if a.LastCallAt != nil {
		last = a.LastCallAt.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("{calls %d, minutes %v, cost %v, active %d, last %s}", a.TotalCalls, a.TotalMinutes, a.EstimatedCost, a.ActiveAgents, last)
}

func testAnalytics(t *testing.T, s Stores) {
	o := MustOrganization(t, s, "Acme")
	other := MustOrganization(t, s, "Other")
	a := MustAgent(t, s, o.ID, "A")
	b := MustAgent(t, s, o.ID, "B")
	c := MustAgent(t, s, o.ID, "C (inactive, no calls)")
	if _, err := s.Agents.UpdateAgent(ctx(t), o.ID, c.ID, &server.AgentPatch{IsActive: ptr(false)}); err != nil {
		t.Fatalf("UpdateAgent() = %v; want nil", err)
	}
	c.IsActive = false
	x := MustAgent(t, s, other.ID, "X")
	agents := []*server.Agent{a, b, c}

	empty, err := s.CallLogs.Analytics(ctx(t), o.ID, "")
	if err != nil {
		t.Fatalf("Analytics(empty) = %v; want nil", err)
	}
	assertAnalytics(t, "empty", empty, expected(nil, agents, ""))

	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Now().Add(-24 * time.Hour)
	var stored []*server.CallLog
	for batch := 0; batch < 6; batch++ {
		var logs []*server.CallLog
		for i := 0; i < 25; i++ {
			ag := []*server.Agent{a, b, x}[rng.IntN(3)]
			conv := fmt.Sprintf("an-%d", rng.IntN(120)) // duplicates across and within batches
			at := base.Add(time.Duration(rng.IntN(86400)) * time.Second).Add(time.Duration(rng.IntN(1e6)) * time.Microsecond)
			logs = append(logs, NewCallLog(ag, conv, rng.IntN(900), float64(rng.IntN(1e6))/1e5, at))
		}
		res := mustInsert(t, s, logs...)
		for i, r := range res {
			if r.Created && logs[i].OrganizationID == o.ID {
				stored = append(stored, logs[i])
			}
		}
	}
	for _, agent := range []string{"", a.ID, b.ID, c.ID} {
		got, err := s.CallLogs.Analytics(ctx(t), o.ID, agent)
		if err != nil {
			t.Fatalf("Analytics(%q) = %v; want nil", agent, err)
		}
		assertAnalytics(t, "agent "+agent, got, expected(stored, agents, agent))
	}
	for _, agent := range []string{x.ID, missingID, "junk"} {
		got, err := s.CallLogs.Analytics(ctx(t), o.ID, agent)
		if err != nil {
			t.Fatalf("Analytics(%q) = %v; want nil", agent, err)
		}
		assertAnalytics(t, "foreign agent "+agent, got, server.Analytics{})
	}
	// Deleting an agent drops it from activeAgents; its calls stay counted.
	if err := s.Agents.DeleteAgent(ctx(t), o.ID, b.ID); err != nil {
		t.Fatalf("DeleteAgent() = %v; want nil", err)
	}
	got, err := s.CallLogs.Analytics(ctx(t), o.ID, "")
	if err != nil {
		t.Fatalf("Analytics() = %v; want nil", err)
	}
	assertAnalytics(t, "after delete", got, expected(stored, []*server.Agent{a, c}, ""))
}
