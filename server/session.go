package server

import (
	"context"
	"time"
)

// Session is a logged-in user's server-side session. ID is the random token
// in the session cookie (at least 128 bits, base64url).
type Session struct {
	ID             string    `json:"id"`
	UserID         string    `json:"userId"`
	OrganizationID string    `json:"organizationId"`
	CreatedAt      time.Time `json:"createdAt"`
	ExpiresAt      time.Time `json:"expiresAt"`
}

// SessionStore keeps sessions with sliding expiry: Get of a live session
// extends it by the store's TTL (ExpiresAt is updated in the answer). Get
// answers ENOTFOUND for a missing, expired or deleted session. Delete ends a
// session everywhere at once (every instance sharing the store).
type SessionStore interface {
	CreateSession(ctx context.Context, s *Session) error
	Session(ctx context.Context, id string) (*Session, error)
	DeleteSession(ctx context.Context, id string) error
}
