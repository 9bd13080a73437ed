package postgres

import (
	"context"
	"strconv"

	"github.com/echosenseix/echosenseix/server"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pageQuery builds the keyset (or offset, for the Page alias) query of q and
// the matching counter query. Both filter on the leading columns of
// call_logs_org_created_idx or call_logs_org_agent_created_idx and order by
// their remaining columns, so a page reads limit+1 index entries.
func pageQuery(q server.CallLogQuery, limit, page int, after *server.CallLogCursor) (sql string, args []any, total string, totalArgs []any) {
	sql = `SELECT ` + callLogColumns + ` FROM call_logs WHERE organization_id = $1`
	total = `SELECT coalesce(sum(calls), 0) FROM call_stats WHERE organization_id = $1`
	args = []any{q.OrganizationID}
	if q.AgentID != "" {
		sql += ` AND agent_id = $2`
		total += ` AND agent_id = $2`
		args = append(args, q.AgentID)
	}
	totalArgs = append([]any(nil), args...)
	if after != nil {
		n := len(args)
		sql += ` AND (created_at, id) < ($` + strconv.Itoa(n+1) + `, $` + strconv.Itoa(n+2) + `)`
		args = append(args, after.CreatedAt, after.ID)
	}
	sql += ` ORDER BY call_logs.created_at DESC, call_logs.id DESC LIMIT ` + strconv.Itoa(limit+1)
	if after == nil && page > 1 {
		sql += ` OFFSET ` + strconv.Itoa((page-1)*limit)
	}
	return sql, args, total, totalArgs
}

// CallLogs returns one page, newest first, by cursor or by page number, and
// Total from call_stats; rows and total come back in one round trip.
func (s *Store) CallLogs(ctx context.Context, q server.CallLogQuery) (*server.CallLogPage, error) {
	limit, page := q.Bounds()
	var after *server.CallLogCursor
	if q.Cursor != "" {
		k, err := server.DecodeCallLogCursor(q.Cursor)
		if err != nil {
			return nil, err
		}
		after = &k
	}
	out := &server.CallLogPage{Data: []*server.CallLog{}}
	if !server.IsUUID(q.OrganizationID) || (q.AgentID != "" && !server.IsUUID(q.AgentID)) {
		out.SetPaging(limit, page)
		return out, nil
	}
	sql, args, total, totalArgs := pageQuery(q, limit, page, after)
	err := s.db.withRead(ctx, q.OrganizationID, "list call logs", false, func(c *pgxpool.Conn) error {
		b := &pgx.Batch{}
		b.Queue(sql, args...)
		b.Queue(total, totalArgs...)
		br := c.SendBatch(ctx, b)
		defer br.Close()
		rows, err := br.Query()
		if err != nil {
			return err
		}
		out.Data, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*server.CallLog, error) { return scanCallLog(r) })
		if err != nil {
			return err
		}
		if err := br.QueryRow().Scan(&out.Total); err != nil {
			return err
		}
		return br.Close()
	})
	if err != nil {
		return nil, err
	}
	if len(out.Data) > limit {
		out.Data = out.Data[:limit]
		last := out.Data[limit-1]
		out.NextCursor = server.CallLogCursor{CreatedAt: last.CreatedAt, ID: last.ID}.Encode()
	}
	out.SetPaging(limit, page)
	return out, nil
}

// Analytics answers from call_stats (one row per agent) and the
// organization's agents: no scan of call_logs.
func (s *Store) Analytics(ctx context.Context, orgID, agentID string) (*server.Analytics, error) {
	an := &server.Analytics{}
	if !server.IsUUID(orgID) || (agentID != "" && !server.IsUUID(agentID)) {
		return an, nil
	}
	sql := `SELECT coalesce(sum(calls), 0), coalesce(sum(seconds), 0), coalesce(sum(cost), 0)::float8, max(last_call_at),
		(SELECT count(*) FROM agents WHERE organization_id = $1 AND is_active AND ($2 = '' OR id::text = $2))
		FROM call_stats WHERE organization_id = $1 AND ($2 = '' OR agent_id::text = $2)`
	var seconds int64
	err := s.db.withRead(ctx, orgID, "get analytics", false, func(c *pgxpool.Conn) error {
		return c.QueryRow(ctx, sql, orgID, agentID).Scan(&an.TotalCalls, &seconds, &an.EstimatedCost, &an.LastCallAt, &an.ActiveAgents)
	})
	if err != nil {
		return nil, err
	}
	an.TotalMinutes = float64(seconds) / 60
	return an, nil
}
