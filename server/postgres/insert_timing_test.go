package postgres

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/storetest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The three batch-insert designs of the ingest issue, measured against each
// other: (a) the store's single unnest statement, (b) a pgx.Batch of
// per-row statements, (c) COPY into a temp staging table then INSERT ...
// SELECT ... ON CONFLICT. All three dedupe, count only new rows in
// call_stats and commit the whole batch or nothing.
//
//	go test -run '^$' -bench InsertCallLogsVariants -benchtime 2s ./server/postgres/

// insertPerRowBatch is design (b).
func insertPerRowBatch(ctx context.Context, c *pgxpool.Conn, b *batch) error {
	pb := &pgx.Batch{}
	const one = `WITH ins AS (
	INSERT INTO call_logs (id, organization_id, agent_id, platform, external_call_id, conversation_id, phone_number,
		duration, transcript, cost, status, summary, audio_url, created_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12, $13, $14)
	ON CONFLICT (organization_id, conversation_id) DO NOTHING
	RETURNING organization_id, agent_id, duration, cost, created_at)
INSERT INTO call_stats AS s (organization_id, agent_id, calls, seconds, cost, last_call_at)
SELECT organization_id, agent_id, 1, duration, cost, created_at FROM ins
ON CONFLICT (organization_id, agent_id) DO UPDATE SET calls = s.calls + 1, seconds = s.seconds + excluded.seconds,
	cost = s.cost + excluded.cost, last_call_at = greatest(s.last_call_at, excluded.last_call_at)`
	pb.Queue("BEGIN")
	for i, l := range b.rows {
		pb.Queue(one, b.ids[i], l.OrganizationID, l.AgentID, l.Platform, l.ExternalCallID, l.ConversationID, l.PhoneNumber,
			int32(l.Duration), string(l.Transcript), l.Cost, l.Status, l.Summary, l.AudioURL, l.CreatedAt)
	}
	pb.Queue("COMMIT")
	return c.SendBatch(ctx, pb).Close()
}

// insertCopyStaging is design (c).
func insertCopyStaging(ctx context.Context, c *pgxpool.Conn, b *batch) error {
	return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS call_logs_stage
			(LIKE call_logs INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`); err != nil {
			return err
		}
		cols := []string{"id", "organization_id", "agent_id", "platform", "external_call_id", "conversation_id", "phone_number",
			"duration", "transcript", "cost", "status", "summary", "audio_url", "created_at"}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"call_logs_stage"}, cols, pgx.CopyFromSlice(len(b.rows), func(i int) ([]any, error) {
			l := b.rows[i]
			return []any{b.ids[i], l.OrganizationID, l.AgentID, l.Platform, l.ExternalCallID, l.ConversationID, l.PhoneNumber,
				int32(l.Duration), string(l.Transcript), fmt.Sprintf("%.4f", l.Cost), l.Status, l.Summary, l.AudioURL, l.CreatedAt}, nil
		}))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `WITH ins AS (
	INSERT INTO call_logs SELECT * FROM call_logs_stage ORDER BY organization_id, conversation_id
	ON CONFLICT (organization_id, conversation_id) DO NOTHING
	RETURNING organization_id, agent_id, duration, cost, created_at
), agg AS (
	SELECT organization_id, agent_id, count(*) AS calls, sum(duration) AS seconds, sum(cost) AS cost, max(created_at) AS last_call_at
	FROM ins GROUP BY 1, 2
)
INSERT INTO call_stats AS s SELECT * FROM agg ORDER BY 1, 2
ON CONFLICT (organization_id, agent_id) DO UPDATE SET calls = s.calls + excluded.calls, seconds = s.seconds + excluded.seconds,
	cost = s.cost + excluded.cost, last_call_at = greatest(s.last_call_at, excluded.last_call_at)`)
		return err
	})
}

func insertUnnest(ctx context.Context, c *pgxpool.Conn, b *batch) error {
	_, err := queryStrings(ctx, c, insertCallLogsSQL, b.args()...)
	return err
}

func BenchmarkInsertCallLogsVariants(b *testing.B) {
	db := MustOpen(b, Config{MaxConns: 4}, true)
	s := db.Store()
	stores := storetest.Stores{Orgs: s, Users: s, Agents: s, Lookup: s, CallLogs: s, Documents: s}
	org := storetest.MustOrganization(b, stores, "Acme")
	agent := storetest.MustAgent(b, stores, org.ID, "A")
	var seq atomic.Int64
	variants := []struct {
		name string
		fn   func(context.Context, *pgxpool.Conn, *batch) error
	}{{"unnest", insertUnnest}, {"batch", insertPerRowBatch}, {"copy", insertCopyStaging}}
	for _, size := range []int{1, 16, 256} {
		for _, v := range variants {
			b.Run(fmt.Sprintf("%s/rows=%d", v.name, size), func(b *testing.B) {
				b.ReportAllocs()
				ctx := context.Background()
				c, err := db.Pool().Acquire(ctx)
				if err != nil {
					b.Fatal(err)
				}
				defer c.Release()
				start := time.Now()
				for i := 0; i < b.N; i++ {
					logs := make([]*server.CallLog, size)
					for j := range logs {
						logs[j] = storetest.NewCallLog(agent, fmt.Sprintf("v-%d", seq.Add(1)), 60, 0.1, time.Time{})
						if err := logs[j].Validate(); err != nil {
							b.Fatal(err)
						}
					}
					if err := v.fn(ctx, c, newBatch(logs)); err != nil {
						b.Fatalf("%s: %v", v.name, err)
					}
				}
				b.ReportMetric(float64(b.N*size)/time.Since(start).Seconds(), "rows/s")
			})
		}
	}
}
