package inmem

import (
	"context"
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// callLogs holds every call log, indexed for idempotency (organization +
// conversation), for keyset pages (per organization and per agent, ordered
// by created_at, id) and with analytics counters kept on insert.
type callLogs struct {
	mu     sync.RWMutex
	byID   map[string]*server.CallLog
	byConv map[convKey]string
	lists  map[listKey][]*server.CallLog // ascending (created_at, id); agent "" = whole org
	stats  map[listKey]*stats            // agent "" = whole org
}

type convKey struct{ org, conv string }
type listKey struct{ org, agent string }

type stats struct {
	calls, seconds, costUnits int64 // cost in 1e-4 units: exact sums
	last                      time.Time
}

func newCallLogs() callLogs {
	return callLogs{
		byID:   make(map[string]*server.CallLog),
		byConv: make(map[convKey]string),
		lists:  make(map[listKey][]*server.CallLog),
		stats:  make(map[listKey]*stats),
	}
}

// InsertCallLogs validates the whole batch, then stores each new
// conversation once; duplicates (earlier or within the batch) answer the
// existing id with Created false.
func (s *Store) InsertCallLogs(_ context.Context, logs []*server.CallLog) ([]server.IngestResult, error) {
	for _, l := range logs {
		if err := l.ValidateOnce(); err != nil {
			return nil, err
		}
	}
	c := &s.logs
	c.mu.Lock()
	defer c.mu.Unlock()
	res := make([]server.IngestResult, len(logs))
	for i, l := range logs {
		k := convKey{l.OrganizationID, l.ConversationID}
		if id, ok := c.byConv[k]; ok {
			res[i] = server.IngestResult{ID: id}
			continue
		}
		row := *l
		row.ID = newID()
		row.Transcript = slices.Clone(l.Transcript)
		c.insertLocked(&row)
		c.byConv[k] = row.ID
		res[i] = server.IngestResult{ID: row.ID, Created: true}
	}
	return res, nil
}

func (c *callLogs) insertLocked(l *server.CallLog) {
	c.byID[l.ID] = l
	for _, k := range []listKey{{l.OrganizationID, ""}, {l.OrganizationID, l.AgentID}} {
		list := c.lists[k]
		i := sort.Search(len(list), func(i int) bool { return less(l, list[i]) })
		c.lists[k] = slices.Insert(list, i, l)
		st := c.stats[k]
		if st == nil {
			st = &stats{}
			c.stats[k] = st
		}
		st.calls++
		st.seconds += int64(l.Duration)
		st.costUnits += int64(math.Round(l.Cost * 1e4))
		if l.CreatedAt.After(st.last) {
			st.last = l.CreatedAt
		}
	}
}

// less orders by (created_at, id) ascending.
func less(a, b *server.CallLog) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.Before(b.CreatedAt)
	}
	return a.ID < b.ID
}

func cloneLog(l *server.CallLog) *server.CallLog {
	c := *l
	c.Transcript = slices.Clone(l.Transcript)
	return &c
}

// CallLog returns the organization's call log id, or ENOTFOUND.
func (s *Store) CallLog(_ context.Context, orgID, id string) (*server.CallLog, error) {
	s.logs.mu.RLock()
	defer s.logs.mu.RUnlock()
	l, ok := s.logs.byID[id]
	if !ok || l.OrganizationID != orgID {
		return nil, server.Errorf(server.ENOTFOUND, "call log not found")
	}
	return cloneLog(l), nil
}

// CallLogs returns one page, newest first, by cursor or by page number.
func (s *Store) CallLogs(_ context.Context, q server.CallLogQuery) (*server.CallLogPage, error) {
	limit, page := q.Bounds()
	var after *server.CallLogCursor
	if q.Cursor != "" {
		k, err := server.DecodeCallLogCursor(q.Cursor)
		if err != nil {
			return nil, err
		}
		after = &k
	}
	c := &s.logs
	c.mu.RLock()
	defer c.mu.RUnlock()
	key := listKey{q.OrganizationID, q.AgentID}
	list := c.lists[key]
	// end is one past the newest row to return; rows go backwards from it.
	end := len(list)
	if after != nil {
		end = sort.Search(len(list), func(i int) bool { return !after.After(list[i].CreatedAt, list[i].ID) })
	} else if page > 1 {
		end = max(0, len(list)-(page-1)*limit)
	}
	start := max(0, end-limit)
	out := &server.CallLogPage{Data: make([]*server.CallLog, 0, end-start)}
	for i := end - 1; i >= start; i-- {
		out.Data = append(out.Data, cloneLog(list[i]))
	}
	if start > 0 && len(out.Data) > 0 {
		last := out.Data[len(out.Data)-1]
		out.NextCursor = server.CallLogCursor{CreatedAt: last.CreatedAt, ID: last.ID}.Encode()
	}
	if st := c.stats[key]; st != nil {
		out.Total = st.calls
	}
	out.SetPaging(limit, page)
	return out, nil
}

// Analytics answers from the counters kept on insert.
func (s *Store) Analytics(_ context.Context, orgID, agentID string) (*server.Analytics, error) {
	an := &server.Analytics{}
	s.logs.mu.RLock()
	if st := s.logs.stats[listKey{orgID, agentID}]; st != nil {
		an.TotalCalls = st.calls
		an.TotalMinutes = float64(st.seconds) / 60
		an.EstimatedCost = float64(st.costUnits) / 1e4
		last := st.last
		an.LastCallAt = &last
	}
	s.logs.mu.RUnlock()
	an.ActiveAgents = s.activeAgents(orgID, agentID)
	return an, nil
}
