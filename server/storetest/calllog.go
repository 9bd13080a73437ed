package storetest

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// NewCallLog returns a valid call log of agent a for conversation conv.
func NewCallLog(a *server.Agent, conv string, duration int, cost float64, at time.Time) *server.CallLog {
	return &server.CallLog{
		OrganizationID: a.OrganizationID, AgentID: a.ID, Platform: "elevenlabs",
		ExternalCallID: "call_" + conv, ConversationID: conv, PhoneNumber: "+15550100",
		Duration: duration, Cost: cost, Status: "done", Summary: "summary " + conv,
		Transcript: json.RawMessage(`[{"role":"agent","message":"hello"}]`), AudioURL: "https://a/" + conv,
		CreatedAt: at,
	}
}

func mustInsert(t testing.TB, s Stores, logs ...*server.CallLog) []server.IngestResult {
	t.Helper()
	res, err := s.CallLogs.InsertCallLogs(ctx(t), logs)
	if err != nil {
		t.Fatalf("InsertCallLogs(%d logs) = %v; want nil", len(logs), err)
	}
	if len(res) != len(logs) {
		t.Fatalf("InsertCallLogs(%d logs) gave %d results; want %d", len(logs), len(res), len(logs))
	}
	return res
}

func assertCallLog(t testing.TB, got, want *server.CallLog, id string) {
	t.Helper()
	if got.ID != id || got.OrganizationID != want.OrganizationID || got.AgentID != want.AgentID || got.Platform != want.Platform ||
		got.ExternalCallID != want.ExternalCallID || got.ConversationID != want.ConversationID || got.PhoneNumber != want.PhoneNumber ||
		got.Duration != want.Duration || got.Cost != want.Cost || got.Status != want.Status || got.Summary != want.Summary ||
		got.AudioURL != want.AudioURL || !got.CreatedAt.Equal(want.CreatedAt) {
		t.Errorf("call log = %+v; want %+v with id %s", got, want, id)
	}
	if !jsonEqual(got.Transcript, want.Transcript) {
		t.Errorf("transcript = %s; want %s", got.Transcript, want.Transcript)
	}
}

func testInsertCallLogs(t *testing.T, s Stores) {
	o := MustOrganization(t, s, "Acme")
	a := MustAgent(t, s, o.ID, "A")
	now := time.Now()
	logs := []*server.CallLog{
		NewCallLog(a, "c1", 61, 0.12345, now.Add(-time.Minute)),
		NewCallLog(a, "c2", 0, 0, now),
		{OrganizationID: o.ID, AgentID: a.ID, ConversationID: "c3"}, // defaults
	}
	res := mustInsert(t, s, logs...)
	seen := map[string]bool{}
	for i, r := range res {
		if r.ID == "" || !r.Created || seen[r.ID] {
			t.Errorf("result[%d] = %+v; want a new, distinct id with Created", i, r)
		}
		seen[r.ID] = true
	}
	if logs[0].Cost != 0.1235 {
		t.Errorf("cost rounded to %v; want 0.1235", logs[0].Cost)
	}
	for i, l := range logs {
		got, err := s.CallLogs.CallLog(ctx(t), o.ID, res[i].ID)
		if err != nil {
			t.Fatalf("CallLog(%d) = %v; want nil", i, err)
		}
		assertCallLog(t, got, l, res[i].ID)
	}
	if logs[2].Platform != server.DefaultAgentPlatform || string(logs[2].Transcript) != "[]" || logs[2].CreatedAt.IsZero() {
		t.Errorf("defaults not applied: %+v", logs[2])
	}
	if res, err := s.CallLogs.InsertCallLogs(ctx(t), nil); err != nil || len(res) != 0 {
		t.Errorf("InsertCallLogs(nil) = %v, %v; want empty, nil", res, err)
	}
	for _, id := range []string{missingID, "nope", ""} {
		_, err := s.CallLogs.CallLog(ctx(t), o.ID, id)
		wantCode(t, "CallLog("+id+")", err, server.ENOTFOUND)
	}
}

func testInsertCallLogsIdempotent(t *testing.T, s Stores) {
	o := MustOrganization(t, s, "Acme")
	o2 := MustOrganization(t, s, "Other")
	a := MustAgent(t, s, o.ID, "A")
	b := MustAgent(t, s, o2.ID, "B")
	now := time.Now()
	first := mustInsert(t, s, NewCallLog(a, "dup", 10, 1, now), NewCallLog(a, "x", 10, 1, now))
	// Across calls, within one batch, and the same conversation id in another org.
	second := mustInsert(t, s,
		NewCallLog(a, "y", 5, 1, now),
		NewCallLog(a, "dup", 99, 9, now), // duplicate of an earlier call: stores nothing
		NewCallLog(a, "y", 7, 2, now),    // duplicate within the batch
		NewCallLog(b, "dup", 20, 2, now), // other organization: a different call
		NewCallLog(a, "y", 8, 3, now),
	)
	checks := []struct {
		i       int
		id      string
		created bool
	}{
		{0, "", true}, {1, first[0].ID, false}, {2, second[0].ID, false}, {3, "", true}, {4, second[0].ID, false},
	}
	for _, c := range checks {
		r := second[c.i]
		if r.Created != c.created || (c.id != "" && r.ID != c.id) || r.ID == "" {
			t.Errorf("result[%d] = %+v; want id %q created %v", c.i, r, c.id, c.created)
		}
	}
	if second[3].ID == first[0].ID || second[0].ID == second[3].ID {
		t.Errorf("distinct calls share an id: %+v", second)
	}
	got, err := s.CallLogs.CallLog(ctx(t), o.ID, first[0].ID)
	if err != nil || got.Duration != 10 || got.Cost != 1 {
		t.Errorf("duplicate changed the stored row: %+v, %v; want duration 10, cost 1", got, err)
	}
	if y, _ := s.CallLogs.CallLog(ctx(t), o.ID, second[0].ID); y == nil || y.Duration != 5 {
		t.Errorf("first of a batch's duplicates must win: %+v", y)
	}
	page, err := s.CallLogs.CallLogs(ctx(t), server.CallLogQuery{OrganizationID: o.ID, Limit: 100})
	if err != nil || len(page.Data) != 3 || page.Total != 3 {
		t.Errorf("CallLogs() = %d rows, total %v, %v; want 3 and 3", lenData(page), total(page), err)
	}
	an, err := s.CallLogs.Analytics(ctx(t), o.ID, "")
	if err != nil || an.TotalCalls != 3 || an.TotalMinutes != 25.0/60 {
		t.Errorf("Analytics() = %+v, %v; want 3 calls, %v minutes (duplicates not counted)", an, err, 25.0/60)
	}
}

func lenData(p *server.CallLogPage) int {
	if p == nil {
		return -1
	}
	return len(p.Data)
}

func total(p *server.CallLogPage) int64 {
	if p == nil {
		return -1
	}
	return p.Total
}

// testInsertCallLogsConcurrent: many concurrent deliveries of the same
// conversations end as one row each, every caller learning the same id.
func testInsertCallLogsConcurrent(t *testing.T, s Stores) {
	o := MustOrganization(t, s, "Acme")
	a := MustAgent(t, s, o.ID, "A")
	const workers, convs = 8, 20
	ids := make([][]string, workers)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var logs []*server.CallLog
			for c := 0; c < convs; c++ {
				logs = append(logs, NewCallLog(a, fmt.Sprintf("conv-%d", (c+w)%convs), 60, 0.5, time.Now()))
			}
			res, err := s.CallLogs.InsertCallLogs(ctx(t), logs)
			if err != nil {
				errs <- err
				return
			}
			ids[w] = make([]string, convs)
			for i, r := range res {
				ids[w][(i+w)%convs] = r.ID
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent InsertCallLogs = %v; want nil", err)
	}
	for w := 1; w < workers; w++ {
		if !equalStrings(ids[w], ids[0]) {
			t.Errorf("worker %d ids %v; want %v", w, ids[w], ids[0])
		}
	}
	an, err := s.CallLogs.Analytics(ctx(t), o.ID, "")
	if err != nil || an.TotalCalls != convs || an.TotalMinutes != convs {
		t.Errorf("Analytics() = %+v, %v; want %d calls and minutes", an, err, convs)
	}
}

func testInsertCallLogsInvalid(t *testing.T, s Stores) {
	o := MustOrganization(t, s, "Acme")
	a := MustAgent(t, s, o.ID, "A")
	good := NewCallLog(a, "good", 1, 1, time.Now())
	bad := []*server.CallLog{
		{OrganizationID: o.ID, AgentID: a.ID},                                    // no conversation
		{OrganizationID: "x", AgentID: a.ID, ConversationID: "c"},                // bad org id
		{OrganizationID: o.ID, AgentID: a.ID, ConversationID: "c", Duration: -1}, // negative duration
		{OrganizationID: o.ID, AgentID: a.ID, ConversationID: "c", Transcript: json.RawMessage(`{`)},
	}
	for i, b := range bad {
		_, err := s.CallLogs.InsertCallLogs(ctx(t), []*server.CallLog{good, b})
		wantCode(t, fmt.Sprintf("InsertCallLogs(bad #%d)", i), err, server.EINVALID)
	}
	// Whole batch or nothing: the good row was not stored.
	if p, err := s.CallLogs.CallLogs(ctx(t), server.CallLogQuery{OrganizationID: o.ID}); err != nil || len(p.Data) != 0 || p.Total != 0 {
		t.Errorf("CallLogs() after rejected batches = %d rows, total %d, %v; want none", lenData(p), total(p), err)
	}
}

func testCallLogTenantIsolation(t *testing.T, s Stores) {
	o1 := MustOrganization(t, s, "One")
	o2 := MustOrganization(t, s, "Two")
	a := MustAgent(t, s, o1.ID, "A")
	res := mustInsert(t, s, NewCallLog(a, "c", 30, 1, time.Now()))
	_, err := s.CallLogs.CallLog(ctx(t), o2.ID, res[0].ID)
	wantCode(t, "CallLog(other org)", err, server.ENOTFOUND)
	for _, q := range []server.CallLogQuery{{OrganizationID: o2.ID}, {OrganizationID: o2.ID, AgentID: a.ID}} {
		p, err := s.CallLogs.CallLogs(ctx(t), q)
		if err != nil || len(p.Data) != 0 || p.Total != 0 {
			t.Errorf("CallLogs(%+v) = %d rows, total %d, %v; want none", q, lenData(p), total(p), err)
		}
	}
	an, err := s.CallLogs.Analytics(ctx(t), o2.ID, a.ID)
	if err != nil || an.TotalCalls != 0 || an.ActiveAgents != 0 || an.LastCallAt != nil {
		t.Errorf("Analytics(other org, agent) = %+v, %v; want zero", an, err)
	}
}
