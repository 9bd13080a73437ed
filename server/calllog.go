package server

import (
	"context"
	"encoding/json"
	"time"
)

// CallLog is one finished phone call, delivered by the voice platform's
// post-call webhook. (OrganizationID, ConversationID) is unique: ingestion is
// idempotent on it. Duration is in seconds; Cost in the platform's currency
// with four decimals (numeric(10,4) in Postgres).
type CallLog struct {
	ID             string          `json:"id"`
	OrganizationID string          `json:"organizationId"`
	AgentID        string          `json:"agentId"`
	Platform       string          `json:"platform"`
	ExternalCallID string          `json:"externalCallId"`
	ConversationID string          `json:"conversationId"`
	PhoneNumber    string          `json:"phoneNumber"`
	Duration       int             `json:"duration"`
	Transcript     json.RawMessage `json:"transcript"`
	Cost           float64         `json:"cost"`
	Status         string          `json:"status"`
	Summary        string          `json:"summary"`
	AudioURL       string          `json:"audioUrl"`
	CreatedAt      time.Time       `json:"createdAt"`

	validated bool // set by a Validate that passed: ValidateOnce skips it
}

// IngestResult is the outcome of storing one CallLog: its id (the existing
// row's id for a duplicate) and whether this call created it.
type IngestResult struct {
	ID      string
	Created bool
}

// CallLogQuery selects a page of an organization's call logs, newest first
// (created_at DESC, id DESC). Cursor is opaque, from a previous page's
// NextCursor (keyset pagination, stable under concurrent inserts); Page
// (1-based) is the original API's offset alias, used only when Cursor is empty.
type CallLogQuery struct {
	OrganizationID string
	AgentID        string // optional filter
	Limit          int    // 1..MaxCallLogPageSize, default DefaultCallLogPageSize
	Cursor         string
	Page           int
}

// Page size bounds for call-log listings.
const (
	DefaultCallLogPageSize = 20
	MaxCallLogPageSize     = 100
)

// MaxCallLogOffset is how many rows a page number may skip ((page-1) *
// limit): page numbers are an OFFSET scan, so deeper pages are refused and
// clients follow NextCursor (keyset, any depth at the same cost).
const MaxCallLogOffset = 10000

// CallLogPage is one page of call logs. Total counts every row matching the
// query's organization and agent filter (from maintained counters, not a
// scan). NextCursor is "" on the last page.
type CallLogPage struct {
	Data       []*CallLog `json:"data"`
	Total      int64      `json:"total"`
	Page       int        `json:"page"`
	PageSize   int        `json:"pageSize"`
	TotalPages int64      `json:"totalPages"`
	NextCursor string     `json:"nextCursor"`
}

// Analytics is the dashboard summary of an organization (or of one agent when
// asked for). TotalMinutes is total duration / 60. ActiveAgents counts the
// organization's agents with IsActive (1 or 0 with an agent filter).
type Analytics struct {
	TotalCalls    int64      `json:"totalCalls"`
	TotalMinutes  float64    `json:"totalMinutes"`
	EstimatedCost float64    `json:"estimatedCost"`
	ActiveAgents  int64      `json:"activeAgents"`
	LastCallAt    *time.Time `json:"lastCallAt"`
}

// CallLogStore persists call logs. InsertCallLogs stores a batch in one
// round trip where the backend allows, idempotent on (organization_id,
// conversation_id) also within the batch and across instances, and keeps the
// analytics counters in the same transaction; results[i] answers logs[i].
// Either the whole batch commits or none of it does. CallLog answers
// ENOTFOUND for a missing id or another organization's. Analytics must stay
// cheap at 10 million rows (no full scan).
type CallLogStore interface {
	InsertCallLogs(ctx context.Context, logs []*CallLog) ([]IngestResult, error)
	CallLog(ctx context.Context, orgID, id string) (*CallLog, error)
	CallLogs(ctx context.Context, q CallLogQuery) (*CallLogPage, error)
	Analytics(ctx context.Context, orgID, agentID string) (*Analytics, error)
}
