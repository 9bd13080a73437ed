package postgres

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// BenchmarkCallLogsPage fills ECHOSENSEIX_BENCH_ROWS call logs (default
// 200,000; the scale is 10,000,000) with generate_series over 10
// organizations of 5 agents, then times a first page, a page 1,000 rows
// deep by cursor and by the Page alias (OFFSET), with and without the agent
// filter, and Analytics. Filling 10M rows takes minutes and ~5 GB:
//
//	ECHOSENSEIX_BENCH_ROWS=10000000 go test -run '^$' -bench CallLogsPage -benchtime 2s -timeout 1h ./server/postgres/
func BenchmarkCallLogsPage(b *testing.B) {
	rows := 200_000
	if v, err := strconv.Atoi(os.Getenv("ECHOSENSEIX_BENCH_ROWS")); err == nil && v > 0 {
		rows = v
	}
	db := MustOpen(b, Config{MaxConns: 4}, true)
	start := time.Now()
	org, agent := fillCallLogs(b, db, rows, 10, 5)
	b.Logf("filled %d rows in %v", rows, time.Since(start))
	s := db.Store()
	ctx := context.Background()
	deep := func(q server.CallLogQuery) string { // cursor after ~1,000 rows
		q.Limit = 100
		for i := 0; i < 10; i++ {
			p, err := s.CallLogs(ctx, q)
			if err != nil || p.NextCursor == "" {
				b.Fatalf("cannot walk to a deep cursor: %v", err)
			}
			q.Cursor = p.NextCursor
		}
		return q.Cursor
	}
	orgQ := server.CallLogQuery{OrganizationID: org, Limit: 20}
	agentQ := server.CallLogQuery{OrganizationID: org, AgentID: agent, Limit: 20}
	withCursor := func(q server.CallLogQuery, c string) server.CallLogQuery { q.Cursor = c; return q }
	withPage := func(q server.CallLogQuery, p int) server.CallLogQuery { q.Page = p; return q }
	cases := []struct {
		name string
		q    server.CallLogQuery
	}{
		{"org/first", orgQ},
		{"org/cursor-deep", withCursor(orgQ, deep(orgQ))},
		{"org/offset-deep", withPage(orgQ, 51)},
		{"agent/first", agentQ},
		{"agent/cursor-deep", withCursor(agentQ, deep(agentQ))},
		{"agent/offset-deep", withPage(agentQ, 51)},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if p, err := s.CallLogs(ctx, tc.q); err != nil || len(p.Data) != 20 {
					b.Fatalf("CallLogs = %v rows, %v", lenRows(p), err)
				}
			}
		})
	}
	b.Run("analytics", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := s.Analytics(ctx, org, ""); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func lenRows(p *server.CallLogPage) int {
	if p == nil {
		return -1
	}
	return len(p.Data)
}
