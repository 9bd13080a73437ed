package httpapi

import (
	"context"
	"strconv"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/echosenseix/echosenseix/server"
)

// analyticsKey is the cache key of an organization's analytics (agentID ""
// for the whole organization).
func analyticsKey(org, agentID string) string { return "analytics:" + org + ":" + agentID }

// callLogsKey is the cache key of an organization's first call-log page at
// the default page size (agentID "" for the whole organization).
func callLogsKey(org, agentID string) string { return "calllogs:" + org + ":" + agentID }

var errCallLogNotFound = server.Errorf(server.ENOTFOUND, "call log not found")

// handleCallLogs: GET /api/call-logs?agentId=&limit=&cursor=&page=.
func (s *Server) handleCallLogs(ctx context.Context, c *app.RequestContext, id identity) {
	q := server.CallLogQuery{OrganizationID: id.OrgID, AgentID: c.Query("agentId"), Cursor: c.Query("cursor")}
	var err error
	if q.Limit, err = queryInt(c, "limit", server.DefaultCallLogPageSize, 1, server.MaxCallLogPageSize); err != nil {
		s.writeError(ctx, c, err)
		return
	}
	if q.Page, err = queryInt(c, "page", 1, 1, 1<<31-1); err != nil {
		s.writeError(ctx, c, err)
		return
	}
	if err := pageWithinOffset(q.Page, q.Limit); err != nil {
		s.writeError(ctx, c, err)
		return
	}
	if q.AgentID != "" && !server.IsUUID(q.AgentID) {
		s.writeError(ctx, c, invalidf("agentId must be a UUID"))
		return
	}
	if len(q.Cursor) > 512 {
		s.writeError(ctx, c, invalidf("cursor is malformed"))
		return
	}
	load := func(ctx context.Context) ([]byte, error) {
		sctx, cancel := context.WithTimeout(ctx, s.cfg.StoreTimeout)
		defer cancel()
		page, err := s.d.CallLogs.CallLogs(sctx, q)
		if err != nil {
			return nil, err
		}
		if page.Data == nil {
			page.Data = []*server.CallLog{}
		}
		return jsonAPI.Marshal(page)
	}
	var b []byte
	switch {
	case q.Cursor == "" && q.Page == 1 && q.Limit == server.DefaultCallLogPageSize:
		// The dashboard's view: in the shared cache like analytics, so an
		// organization's page is loaded once per change for the whole
		// cluster (a per-process copy cost one load per worker per second
		// and exhausted the pool at 1,000 organizations on 8 workers).
		b, err = s.rt.Get(ctx, callLogsKey(id.OrgID, q.AgentID), s.cfg.AnalyticsTTL, load)
	case q.Cursor == "" && q.Page == 1: // other first pages: kept briefly here
		b, err = s.pages.get(ctx, id.OrgID, pageKey(id.OrgID, q.AgentID, q.Limit), load)
	default:
		b, err = load(ctx)
	}
	if err != nil {
		s.writeError(ctx, c, err)
		return
	}
	writeJSONBytes(c, 200, b)
}

// pageWithinOffset refuses a page number that skips more than
// server.MaxCallLogOffset rows: each such page is an OFFSET scan.
func pageWithinOffset(page, limit int) error {
	if skip := int64(page-1) * int64(limit); skip > server.MaxCallLogOffset {
		return invalidf("page %d at limit %d skips %d rows; page numbers reach %d rows (page <= %d at this limit): follow nextCursor for older calls",
			page, limit, skip, server.MaxCallLogOffset, server.MaxCallLogOffset/limit+1)
	}
	return nil
}

// queryInt parses an optional integer query parameter within [lo, hi].
func queryInt(c *app.RequestContext, name string, def, lo, hi int) (int, error) {
	raw := c.Query(name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, invalidf("query parameter %q must be an integer between %d and %d", name, lo, hi)
	}
	return n, nil
}

// handleCallLog: GET /api/call-logs/:id.
func (s *Server) handleCallLog(ctx context.Context, c *app.RequestContext, id identity) {
	logID := c.Param("id")
	if !server.IsUUID(logID) {
		s.writeError(ctx, c, errCallLogNotFound)
		return
	}
	sctx, cancel := context.WithTimeout(ctx, s.cfg.StoreTimeout)
	defer cancel()
	l, err := s.d.CallLogs.CallLog(sctx, id.OrgID, logID)
	if err != nil {
		s.writeError(ctx, c, err)
		return
	}
	s.writeJSON(ctx, c, 200, l)
}

// handleAnalytics: GET /api/analytics/organization?agentId=, cached for
// AnalyticsTTL and invalidated when a call lands.
func (s *Server) handleAnalytics(ctx context.Context, c *app.RequestContext, id identity) {
	agentID := c.Query("agentId")
	if agentID != "" && !server.IsUUID(agentID) {
		s.writeError(ctx, c, invalidf("agentId must be a UUID"))
		return
	}
	b, err := s.rt.Get(ctx, analyticsKey(id.OrgID, agentID), s.cfg.AnalyticsTTL, func(ctx context.Context) ([]byte, error) {
		sctx, cancel := context.WithTimeout(ctx, s.cfg.StoreTimeout)
		defer cancel()
		a, err := s.d.CallLogs.Analytics(sctx, id.OrgID, agentID)
		if err != nil {
			return nil, err
		}
		return jsonAPI.Marshal(a)
	})
	if err != nil {
		s.writeError(ctx, c, err)
		return
	}
	writeJSONBytes(c, 200, b)
}
