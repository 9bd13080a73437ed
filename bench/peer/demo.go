package peer

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// demoEpoch fixes every demo timestamp so payloads are byte-for-byte stable.
var demoEpoch = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

// DemoAgent returns the i-th demo agent of org: the shape and field sizes of
// a real ElevenLabs agent (a paragraph of system prompt, a small settings
// object).
func DemoAgent(org string, i int) *server.Agent {
	return &server.Agent{
		ID:              fmt.Sprintf("00000000-0000-4000-8000-%012d", i),
		OrganizationID:  org,
		Platform:        server.DefaultAgentPlatform,
		ExternalAgentID: fmt.Sprintf("agent_%024d", i),
		Name:            fmt.Sprintf("Support agent %d", i),
		Description:     "Answers inbound support calls for the billing and onboarding queues.",
		FirstMessage:    "Hello! Thanks for calling. How can I help you today?",
		SystemPrompt: "You are a friendly, concise support agent. Verify the caller's identity " +
			"before discussing their account. Escalate to a human when the caller asks for a refund " +
			"above 100 dollars, is angry for more than two turns, or mentions a legal matter.",
		Language:  server.DefaultAgentLanguage,
		VoiceID:   "21m00Tcm4TlvDq8ikWAM",
		Settings:  json.RawMessage(`{"temperature":0.4,"maxDurationSecs":600,"tools":["lookup_order","create_ticket"]}`),
		IsActive:  true,
		CreatedAt: demoEpoch,
		UpdatedAt: demoEpoch,
	}
}

// DemoCallLog returns the i-th demo call log of agent a.
func DemoCallLog(a *server.Agent, i int) *server.CallLog {
	return &server.CallLog{
		ID:             fmt.Sprintf("10000000-0000-4000-8000-%012d", i),
		OrganizationID: a.OrganizationID,
		AgentID:        a.ID,
		Platform:       a.Platform,
		ExternalCallID: fmt.Sprintf("call_%020d", i),
		ConversationID: fmt.Sprintf("conv_%020d", i),
		PhoneNumber:    "+14155550100",
		Duration:       95 + i%300,
		Transcript: json.RawMessage(`[{"role":"agent","message":"Hello! Thanks for calling. How can I help you today?","time_in_call_secs":0},` +
			`{"role":"user","message":"I was charged twice for my subscription this month.","time_in_call_secs":4},` +
			`{"role":"agent","message":"I'm sorry about that. Let me look up your account.","time_in_call_secs":9}]`),
		Cost:      0.1275,
		Status:    "done",
		Summary:   "Caller reported a duplicate subscription charge; agent opened a billing ticket.",
		AudioURL:  "",
		CreatedAt: demoEpoch.Add(time.Duration(i) * time.Minute),
	}
}

// DemoCallLogPage returns a first page of n call logs of agent a, as GET
// /api/call-logs answers it.
func DemoCallLogPage(a *server.Agent, n int) *server.CallLogPage {
	p := &server.CallLogPage{Total: 1000, Page: 1, PageSize: n, TotalPages: (1000 + int64(n) - 1) / int64(n), NextCursor: "eyJ0IjoiMjAyNi0xMS0wMVQwOTowMDowMFoiLCJpZCI6IjEwIn0"}
	for i := 0; i < n; i++ {
		p.Data = append(p.Data, DemoCallLog(a, n-i))
	}
	return p
}

// DemoWebhookBody returns the ElevenLabs post-call webhook body for one
// conversation of the agent with provider id externalAgentID.
func DemoWebhookBody(externalAgentID, conversationID string, at time.Time) []byte {
	return fmt.Appendf(nil, `{"type":"post_call_transcription","event_timestamp":%d,"data":{"agent_id":%q,"conversation_id":%q,"status":"done",`+
		`"transcript":[{"role":"agent","message":"Hello! Thanks for calling. How can I help you today?","time_in_call_secs":0},`+
		`{"role":"user","message":"I was charged twice for my subscription this month.","time_in_call_secs":4},`+
		`{"role":"agent","message":"I'm sorry about that. Let me look up your account.","time_in_call_secs":9}],`+
		`"metadata":{"start_time_unix_secs":%d,"call_duration_secs":95,"cost":0.1275,"phone_call":{"external_number":"+14155550100"}},`+
		`"analysis":{"transcript_summary":"Caller reported a duplicate subscription charge; agent opened a billing ticket.","call_successful":"success"}}}`,
		at.Unix(), externalAgentID, conversationID, at.Unix()-95)
}

// The demo organization and login of DemoConfig.
const (
	DemoOrganizationID = "20000000-0000-4000-8000-000000000001"
	DemoEmail          = "demo@peer.bench"
	DemoPassword       = "peer-bench-password"
)

// DemoConfig returns one organization with one user (DemoEmail,
// DemoPassword), agents agents (DemoAgent(DemoOrganizationID, 0..)) and
// callLogs call logs of the first agent, newest first.
func DemoConfig(agents, callLogs int) Config {
	cfg := Config{Users: []User{{User: server.User{ID: "30000000-0000-4000-8000-000000000001",
		OrganizationID: DemoOrganizationID, Email: DemoEmail, Name: "Demo User", Role: "admin", CreatedAt: demoEpoch},
		Password: DemoPassword}}}
	for i := 0; i < agents; i++ {
		cfg.Agents = append(cfg.Agents, DemoAgent(DemoOrganizationID, i))
	}
	var total server.Analytics
	if agents > 0 {
		for i := callLogs; i > 0; i-- {
			l := DemoCallLog(cfg.Agents[0], i)
			cfg.CallLogs = append(cfg.CallLogs, l)
			total.TotalCalls++
			total.TotalMinutes += float64(l.Duration) / 60
			total.EstimatedCost += l.Cost
			if total.LastCallAt == nil || l.CreatedAt.After(*total.LastCallAt) {
				t := l.CreatedAt
				total.LastCallAt = &t
			}
		}
		total.ActiveAgents = int64(agents)
	}
	cfg.Analytics = map[string]*server.Analytics{DemoOrganizationID: &total}
	return cfg
}
