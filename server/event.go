package server

import (
	"context"
	"encoding/json"
	"time"
)

// Realtime event types broadcast to an organization.
const (
	EventSyncStarted   = "sync_started"
	EventSyncProgress  = "sync_progress"
	EventSyncCompleted = "sync_completed"
	EventSyncFailed    = "sync_failed"
	EventCallCompleted = "call_completed"

	// EventSessionsEnded is internal, never sent to clients: a logout (one
	// session) or a logout everywhere (every session of a user), for the
	// realtime hubs of every instance, which close the matching sockets.
	// Data is a SessionsEnded.
	EventSessionsEnded = "sessions_ended"
)

// SessionsEnded is the Data of an EventSessionsEnded event.
type SessionsEnded struct {
	UserID  string `json:"userId"`
	Session string `json:"session,omitempty"` // tag of the ended session; empty: every session of the user
}

// Event is an organization-wide broadcast; its JSON is exactly what
// WebSocket clients receive: {type, organizationId, data, timestamp}, and
// id when the bus gave it one. ID is unique per event: an at-least-once bus
// sets it when empty and drops the repeats of an id it delivered, and a
// client seeing an id again (after reconnecting elsewhere) may drop it too.
type Event struct {
	Type           string          `json:"type"`
	OrganizationID string          `json:"organizationId"`
	Data           json.RawMessage `json:"data"`
	Timestamp      time.Time       `json:"timestamp"`
	ID             string          `json:"id,omitempty"`
}

// Bus carries Events between instances (and worker processes). Every
// subscriber on every instance sharing the bus receives every published
// event, its own included, at most once (the memory and Redis pub/sub
// buses: an instance that is down misses what was published meanwhile) or
// at least once with repeats dropped by ID (NATS JetStream: a restarted
// instance is handed what it missed). fn runs on the bus's delivery
// goroutine and must not block. Subscribe's cancel stops delivery to fn.
type Bus interface {
	Publish(ctx context.Context, ev Event) error
	Subscribe(fn func(Event)) (cancel func())
}
