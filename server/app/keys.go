package app

// Every key of the shared cache, and which write drops which keys. A cached
// read uses one of the builders below; a write drops exactly the keys its
// row of dropTable names, through Service.drop. keys_test.go fails when a
// builder is missing from the table or a write drops other keys than its
// row.
//
// Besides these, ingesting a call bumps the organization's generation of
// the per-process first-page cache (callLogPages), and a logout drops the
// per-process identity memo: neither lives in the shared cache.

// AgentKey is GET /api/agents/:id: the agent's JSON.
func AgentKey(org, id string) string { return "agent:" + org + ":" + id }

// AgentsKey is GET /api/agents: the organization's agents as a JSON array.
func AgentsKey(org string) string { return "agents:" + org }

// WebhookAgentKey maps a voice platform's agent id to "orgID\nagentID" (never
// the secret), or to "-" when no agent has it (the negative cache).
func WebhookAgentKey(extID string) string { return "webhookagent:" + extID }

// AnalyticsKey is GET /api/analytics/organization: agentID "" for the whole
// organization.
func AnalyticsKey(org, agentID string) string { return "analytics:" + org + ":" + agentID }

// CallLogsKey is the default-size first page of GET /api/call-logs (agentID
// "" for the whole organization).
func CallLogsKey(org, agentID string) string { return "calllogs:" + org + ":" + agentID }

// UserKey is GET /api/auth/user: the user's JSON. No API write changes a
// user, so only its TTL ends it.
func UserKey(userID string) string { return "user:" + userID }

// Op is a write that makes cached reads stale.
type Op string

// The writes.
const (
	OpCreateAgent Op = "create agent"
	OpUpdateAgent Op = "update agent"
	OpDeleteAgent Op = "delete agent"
	OpIngestCall  Op = "ingest call"
)

// Target is what a write touched: the values the key builders need.
type Target struct {
	Org       string
	Agent     string
	ExtID     string // the agent's external id after the write
	PrevExtID string // before the write (update: it may change)
}

// dropRule is one key a write drops, named by its builder.
type dropRule struct {
	builder string
	key     func(t Target) string
}

// dropTable: which write drops which keys.
var dropTable = map[Op][]dropRule{
	OpCreateAgent: {
		{"AgentsKey", func(t Target) string { return AgentsKey(t.Org) }},
		{"AgentKey", func(t Target) string { return AgentKey(t.Org, t.Agent) }},
		{"WebhookAgentKey", func(t Target) string { return WebhookAgentKey(t.ExtID) }}, // its negative entry
		{"AnalyticsKey", func(t Target) string { return AnalyticsKey(t.Org, "") }},     // activeAgents
	},
	OpUpdateAgent: {
		{"AgentsKey", func(t Target) string { return AgentsKey(t.Org) }},
		{"AgentKey", func(t Target) string { return AgentKey(t.Org, t.Agent) }},
		{"WebhookAgentKey", func(t Target) string { return WebhookAgentKey(t.PrevExtID) }},
		{"WebhookAgentKey", func(t Target) string { return WebhookAgentKey(t.ExtID) }},
		{"AnalyticsKey", func(t Target) string { return AnalyticsKey(t.Org, "") }},
		{"AnalyticsKey", func(t Target) string { return AnalyticsKey(t.Org, t.Agent) }},
	},
	OpDeleteAgent: {
		{"AgentsKey", func(t Target) string { return AgentsKey(t.Org) }},
		{"AgentKey", func(t Target) string { return AgentKey(t.Org, t.Agent) }},
		{"WebhookAgentKey", func(t Target) string { return WebhookAgentKey(t.ExtID) }},
		{"AnalyticsKey", func(t Target) string { return AnalyticsKey(t.Org, "") }},
		{"AnalyticsKey", func(t Target) string { return AnalyticsKey(t.Org, t.Agent) }},
	},
	OpIngestCall: {
		{"AnalyticsKey", func(t Target) string { return AnalyticsKey(t.Org, "") }},
		{"AnalyticsKey", func(t Target) string { return AnalyticsKey(t.Org, t.Agent) }},
		{"CallLogsKey", func(t Target) string { return CallLogsKey(t.Org, "") }},
		{"CallLogsKey", func(t Target) string { return CallLogsKey(t.Org, t.Agent) }},
	},
}

// neverDropped names the builders whose keys no write drops, with why.
var neverDropped = map[string]string{
	"UserKey": "no API write changes a user; the TTL bounds staleness",
}

// Keys answers the keys op drops for t, in table order.
func (op Op) Keys(t Target) []string {
	rules := dropTable[op]
	keys := make([]string, len(rules))
	for i, r := range rules {
		keys[i] = r.key(t)
	}
	return keys
}

// tableBuilders answers the names of the key builders the drop table covers:
// those some write drops and those listed as never dropped.
func tableBuilders() []string {
	seen := map[string]bool{}
	var names []string
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	for _, op := range []Op{OpCreateAgent, OpUpdateAgent, OpDeleteAgent, OpIngestCall} {
		for _, r := range dropTable[op] {
			add(r.builder)
		}
	}
	for n := range neverDropped {
		add(n)
	}
	return names
}
