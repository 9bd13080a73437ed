package postgres

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/echosenseix/echosenseix/server"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// insertCallLogsSQL inserts a whole batch from arrays (one statement, so it
// commits or fails as a whole), skips conversations already stored, and
// adds only the newly inserted rows to call_stats in the same statement.
// Rows and counter keys arrive sorted, so concurrent batches lock in the
// same order and cannot deadlock. The uuid columns travel as text[] and are
// cast in SQL: pgx has no binary plan for a []string as uuid[], and the
// failed attempt it makes first (an error formatting the whole array) cost
// more than the rest of the encoding.
const insertCallLogsSQL = `
WITH input AS (
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
		$8::int4[], $9::text[], $10::float8[], $11::text[], $12::text[], $13::text[], $14::timestamptz[])
	AS t(id, organization_id, agent_id, platform, external_call_id, conversation_id, phone_number,
		duration, transcript, cost, status, summary, audio_url, created_at)
), ins AS (
	INSERT INTO call_logs (id, organization_id, agent_id, platform, external_call_id, conversation_id, phone_number,
		duration, transcript, cost, status, summary, audio_url, created_at)
	SELECT id::uuid, organization_id::uuid, agent_id::uuid, platform, external_call_id, conversation_id, phone_number,
		duration, transcript::jsonb, cost::numeric(10,4), status, summary, audio_url, created_at FROM input
	ON CONFLICT (organization_id, conversation_id) DO NOTHING
	RETURNING id, organization_id, agent_id, duration, cost, created_at
), agg AS (
	SELECT organization_id, agent_id, count(*) AS calls, sum(duration) AS seconds, sum(cost) AS cost,
		max(created_at) AS last_call_at
	FROM ins GROUP BY organization_id, agent_id
), stats AS (
	INSERT INTO call_stats AS s (organization_id, agent_id, calls, seconds, cost, last_call_at)
	SELECT organization_id, agent_id, calls, seconds, cost, last_call_at FROM agg ORDER BY organization_id, agent_id
	ON CONFLICT (organization_id, agent_id) DO UPDATE SET
		calls = s.calls + excluded.calls, seconds = s.seconds + excluded.seconds, cost = s.cost + excluded.cost,
		last_call_at = greatest(s.last_call_at, excluded.last_call_at)
)
SELECT id::text FROM ins`

// existingIDsSQL finds the stored ids of conversations the insert skipped.
const existingIDsSQL = `
SELECT c.id::text, c.organization_id::text, c.conversation_id
FROM unnest($1::text[], $2::text[]) AS t(organization_id, conversation_id)
JOIN call_logs c ON c.organization_id = t.organization_id::uuid AND c.conversation_id = t.conversation_id`

type convKey struct{ org, conv string }

// batch is a deduplicated, sorted call-log batch and where each input went.
type batch struct {
	rows  []*server.CallLog // unique (organization, conversation), sorted
	ids   []string          // proposed id of rows[i]
	index []int             // input i -> rows index
}

func newBatch(logs []*server.CallLog) *batch {
	first := make(map[convKey]int, len(logs))
	b := &batch{index: make([]int, len(logs))}
	order := make([]int, 0, len(logs))
	for i, l := range logs {
		k := convKey{l.OrganizationID, l.ConversationID}
		if _, ok := first[k]; !ok {
			first[k] = i
			order = append(order, i)
		}
	}
	sort.Slice(order, func(x, y int) bool {
		a, c := logs[order[x]], logs[order[y]]
		if a.OrganizationID != c.OrganizationID {
			return a.OrganizationID < c.OrganizationID
		}
		return a.ConversationID < c.ConversationID
	})
	pos := make(map[convKey]int, len(order))
	for j, i := range order {
		l := logs[i]
		b.rows = append(b.rows, l)
		b.ids = append(b.ids, newID())
		pos[convKey{l.OrganizationID, l.ConversationID}] = j
	}
	for i, l := range logs {
		b.index[i] = pos[convKey{l.OrganizationID, l.ConversationID}]
	}
	return b
}

// args returns the column arrays of insertCallLogsSQL.
func (b *batch) args() []any {
	n := len(b.rows)
	org, agent, platform, ext, conv, phone := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	transcript, status, summary, audio := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	duration, cost, created := make([]int32, n), make([]float64, n), make([]time.Time, n)
	for i, l := range b.rows {
		org[i], agent[i], platform[i], ext[i], conv[i], phone[i] = l.OrganizationID, l.AgentID, l.Platform, l.ExternalCallID, l.ConversationID, l.PhoneNumber
		transcript[i], status[i], summary[i], audio[i] = string(l.Transcript), l.Status, l.Summary, l.AudioURL
		duration[i], cost[i], created[i] = int32(l.Duration), l.Cost, l.CreatedAt
	}
	return []any{b.ids, org, agent, platform, ext, conv, phone, duration, transcript, cost, status, summary, audio, created}
}

// InsertCallLogs validates the batch (EINVALID for the whole batch if one
// row is bad; so is a row Postgres refuses as a data exception, SQLSTATE
// class 22: the group-commit batcher then retries the rows one by one),
// deduplicates it, and stores it with its counters in one
// statement: one round trip. Conversations that were already stored (by an
// earlier batch or a concurrent instance) cost a second query for their
// existing ids; call logs are never deleted, so reading them after the
// commit is safe.
func (s *Store) InsertCallLogs(ctx context.Context, logs []*server.CallLog) ([]server.IngestResult, error) {
	if len(logs) == 0 {
		return []server.IngestResult{}, nil
	}
	for _, l := range logs {
		if err := l.ValidateOnce(); err != nil {
			return nil, err
		}
	}
	b := newBatch(logs)
	final := make([]string, len(b.rows))
	defer s.db.wroteCallLogs(logs)
	err := s.db.withConn(ctx, "insert call logs", func(c *pgxpool.Conn) error {
		inserted, err := queryStrings(ctx, c, insertCallLogsSQL, b.args()...)
		if err != nil {
			return err
		}
		if len(inserted) == len(b.rows) {
			copy(final, b.ids)
			return nil
		}
		return b.resolve(ctx, c, final)
	})
	if err != nil {
		return nil, err
	}
	res := make([]server.IngestResult, len(logs))
	seen := make([]bool, len(b.rows))
	for i, j := range b.index {
		res[i] = server.IngestResult{ID: final[j], Created: final[j] == b.ids[j] && !seen[j]}
		seen[j] = true
	}
	return res, nil
}

// resolve fills final with the stored id of every row.
func (b *batch) resolve(ctx context.Context, c *pgxpool.Conn, final []string) error {
	orgs, convs := make([]string, len(b.rows)), make([]string, len(b.rows))
	pos := make(map[convKey]int, len(b.rows))
	for i, l := range b.rows {
		orgs[i], convs[i] = l.OrganizationID, l.ConversationID
		pos[convKey{l.OrganizationID, l.ConversationID}] = i
	}
	rows, err := c.Query(ctx, existingIDsSQL, orgs, convs)
	if err != nil {
		return err
	}
	var id, org, conv string
	_, err = pgx.ForEachRow(rows, []any{&id, &org, &conv}, func() error {
		if i, ok := pos[convKey{org, conv}]; ok {
			final[i] = id
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, id := range final {
		if id == "" {
			return fmt.Errorf("BUG: conversation %q of organization %s neither inserted nor found", b.rows[i].ConversationID, b.rows[i].OrganizationID)
		}
	}
	return nil
}

func queryStrings(ctx context.Context, c *pgxpool.Conn, sql string, args ...any) ([]string, error) {
	rows, err := c.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

const callLogColumns = `id::text, organization_id::text, agent_id::text, platform, external_call_id, conversation_id,
	phone_number, duration, transcript, cost::float8, status, summary, audio_url, created_at`

func scanCallLog(row pgx.Row) (*server.CallLog, error) {
	var l server.CallLog
	var transcript []byte
	var duration int32
	err := row.Scan(&l.ID, &l.OrganizationID, &l.AgentID, &l.Platform, &l.ExternalCallID, &l.ConversationID,
		&l.PhoneNumber, &duration, &transcript, &l.Cost, &l.Status, &l.Summary, &l.AudioURL, &l.CreatedAt)
	l.Transcript, l.Duration = transcript, int(duration)
	return &l, err
}

// CallLog returns the organization's call log id, or ENOTFOUND.
func (s *Store) CallLog(ctx context.Context, orgID, id string) (*server.CallLog, error) {
	if !server.IsUUID(orgID) || !server.IsUUID(id) {
		return nil, notFound("call log")
	}
	var l *server.CallLog
	err := s.db.withRead(ctx, orgID, "get call log", true, func(c *pgxpool.Conn) (err error) {
		l, err = scanCallLog(c.QueryRow(ctx, `SELECT `+callLogColumns+` FROM call_logs WHERE organization_id = $1 AND id = $2`, orgID, id))
		return err
	})
	if server.IsNotFound(err) {
		return nil, notFound("call log")
	}
	if err != nil {
		return nil, err
	}
	return l, nil
}
