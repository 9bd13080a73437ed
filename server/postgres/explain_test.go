package postgres

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// fillCallLogs inserts rows call logs spread over orgs organizations of
// agents agents each with generate_series (one statement), then ANALYZEs.
// It returns one organization and one of its agents.
func fillCallLogs(tb testing.TB, db *DB, rows, orgs, agents int) (org, agent string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	_, err := db.Pool().Exec(ctx, `
INSERT INTO call_logs (id, organization_id, agent_id, platform, conversation_id, duration, transcript, cost, status, created_at)
SELECT gen_random_uuid(),
	('00000000-0000-4000-8000-' || lpad(to_hex(g % $2), 12, '0'))::uuid,
	('00000000-0000-4000-9000-' || lpad(to_hex(g % ($2 * $3)), 12, '0'))::uuid,
	'elevenlabs', 'conv-' || g, g % 600, '[]', (g % 1000) / 100.0, 'done',
	now() - (g * interval '1 second')
FROM generate_series(1, $1) AS g`, rows, orgs, agents)
	if err != nil {
		tb.Fatalf("cannot fill call_logs: %v", err)
	}
	_, err = db.Pool().Exec(ctx, `
INSERT INTO call_stats (organization_id, agent_id, calls, seconds, cost, last_call_at)
SELECT organization_id, agent_id, count(*), sum(duration), sum(cost), max(created_at) FROM call_logs GROUP BY 1, 2`)
	if err != nil {
		tb.Fatalf("cannot fill call_stats: %v", err)
	}
	if _, err := db.Pool().Exec(ctx, "ANALYZE call_logs; ANALYZE call_stats"); err != nil {
		tb.Fatalf("cannot analyze: %v", err)
	}
	return "00000000-0000-4000-8000-000000000001", "00000000-0000-4000-9000-000000000001"
}

func explain(tb testing.TB, db *DB, sql string, args ...any) string {
	tb.Helper()
	rows, err := db.Pool().Query(context.Background(), "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) "+sql, args...)
	if err != nil {
		tb.Fatalf("EXPLAIN = %v", err)
	}
	var lines []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			tb.Fatal(err)
		}
		lines = append(lines, l)
	}
	if err := rows.Err(); err != nil {
		tb.Fatalf("EXPLAIN = %v", err)
	}
	return strings.Join(lines, "\n")
}

// TestCallLogsPlansUseIndexes checks with EXPLAIN that every list query
// (by organization or agent, first page or after a cursor) is an index scan
// on its keyset index with no sort, on 50,000 rows.
func TestCallLogsPlansUseIndexes(t *testing.T) {
	db := MustOpen(t, Config{}, true)
	org, agent := fillCallLogs(t, db, 50_000, 10, 5)
	cursor := &server.CallLogCursor{CreatedAt: time.Now().Add(-10 * time.Hour), ID: "ffffffff-ffff-4fff-bfff-ffffffffffff"}
	tests := []struct {
		name  string
		q     server.CallLogQuery
		after *server.CallLogCursor
		index string
	}{
		{"org first page", server.CallLogQuery{OrganizationID: org}, nil, "call_logs_org_created_idx"},
		{"org after cursor", server.CallLogQuery{OrganizationID: org}, cursor, "call_logs_org_created_idx"},
		{"agent first page", server.CallLogQuery{OrganizationID: org, AgentID: agent}, nil, "call_logs_org_agent_created_idx"},
		{"agent after cursor", server.CallLogQuery{OrganizationID: org, AgentID: agent}, cursor, "call_logs_org_agent_created_idx"},
	}
	for _, tt := range tests {
		sql, args, _, _ := pageQuery(tt.q, 20, 1, tt.after)
		plan := explain(t, db, sql, args...)
		if !strings.Contains(plan, "Index Scan using "+tt.index) || strings.Contains(plan, "Sort") || strings.Contains(plan, "Seq Scan") {
			t.Errorf("%s: plan does not walk %s without a sort:\n%s", tt.name, tt.index, plan)
		}
		t.Logf("%s:\n%s", tt.name, plan)
	}
	_, _, total, totalArgs := pageQuery(server.CallLogQuery{OrganizationID: org}, 20, 1, nil)
	if plan := explain(t, db, total, totalArgs...); strings.Contains(plan, "call_logs") {
		t.Errorf("total reads call_logs:\n%s", plan)
	}
}
