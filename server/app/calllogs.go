package app

import (
	"context"

	"github.com/echosenseix/echosenseix/server"
)

// ErrCallLogNotFound answers a call-log id that is not the caller's.
var ErrCallLogNotFound = server.Errorf(server.ENOTFOUND, "call log not found")

// CallLogs answers the JSON of a page of call logs. The default-size first
// page (the dashboard's) goes through the shared cache for AnalyticsTTL
// (an organization's page is loaded once per change for the whole cluster);
// other first pages are kept briefly in this process (callLogPages);
// deeper pages are read each time.
func (s *Service) CallLogs(ctx context.Context, q server.CallLogQuery) ([]byte, error) {
	if err := checkCallLogQuery(q); err != nil {
		return nil, err
	}
	load := func(ctx context.Context) ([]byte, error) {
		sctx, cancel := s.storeCtx(ctx)
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
	switch {
	case q.Cursor == "" && q.Page == 1 && q.Limit == server.DefaultCallLogPageSize:
		return s.rt.Get(ctx, CallLogsKey(q.OrganizationID, q.AgentID), s.cfg.AnalyticsTTL, load)
	case q.Cursor == "" && q.Page == 1:
		return s.pages.get(ctx, q.OrganizationID, pageKey(q.OrganizationID, q.AgentID, q.Limit), load)
	default:
		return load(ctx)
	}
}

// checkCallLogQuery refuses a page number that skips more than
// server.MaxCallLogOffset rows (each such page is an OFFSET scan), an agent
// filter that is not a UUID and an oversized cursor.
func checkCallLogQuery(q server.CallLogQuery) error {
	if skip := int64(q.Page-1) * int64(q.Limit); skip > server.MaxCallLogOffset {
		return server.Errorf(server.EINVALID, "page %d at limit %d skips %d rows; page numbers reach %d rows (page <= %d at this limit): follow nextCursor for older calls",
			q.Page, q.Limit, skip, server.MaxCallLogOffset, server.MaxCallLogOffset/q.Limit+1)
	}
	if q.AgentID != "" && !server.IsUUID(q.AgentID) {
		return server.Errorf(server.EINVALID, "agentId must be a UUID")
	}
	if len(q.Cursor) > 512 {
		return server.Errorf(server.EINVALID, "cursor is malformed")
	}
	return nil
}

// CallLog answers org's call log id.
func (s *Service) CallLog(ctx context.Context, org, id string) (*server.CallLog, error) {
	if !server.IsUUID(id) {
		return nil, ErrCallLogNotFound
	}
	sctx, cancel := s.storeCtx(ctx)
	defer cancel()
	return s.d.CallLogs.CallLog(sctx, org, id)
}

// Analytics answers the JSON of org's analytics (agentID "" for the whole
// organization), cached for AnalyticsTTL and dropped when a call lands.
func (s *Service) Analytics(ctx context.Context, org, agentID string) ([]byte, error) {
	if agentID != "" && !server.IsUUID(agentID) {
		return nil, server.Errorf(server.EINVALID, "agentId must be a UUID")
	}
	return s.rt.Get(ctx, AnalyticsKey(org, agentID), s.cfg.AnalyticsTTL, func(ctx context.Context) ([]byte, error) {
		sctx, cancel := s.storeCtx(ctx)
		defer cancel()
		a, err := s.d.CallLogs.Analytics(sctx, org, agentID)
		if err != nil {
			return nil, err
		}
		return jsonAPI.Marshal(a)
	})
}
