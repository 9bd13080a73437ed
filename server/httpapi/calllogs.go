package httpapi

import (
	"context"
	"strconv"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/echosenseix/echosenseix/server"
)

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
	b, err := s.app.CallLogs(ctx, q)
	s.writeBytes(ctx, c, b, err)
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
	l, err := s.app.CallLog(ctx, id.OrgID, c.Param("id"))
	if err != nil {
		s.writeError(ctx, c, err)
		return
	}
	s.writeJSON(ctx, c, 200, l)
}

// handleAnalytics: GET /api/analytics/organization?agentId=, cached and
// dropped when a call lands.
func (s *Server) handleAnalytics(ctx context.Context, c *app.RequestContext, id identity) {
	b, err := s.app.Analytics(ctx, id.OrgID, c.Query("agentId"))
	s.writeBytes(ctx, c, b, err)
}
