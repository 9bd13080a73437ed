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
// extends it by the store's TTL, possibly coarsely (the Redis store extends
// a session at most every tenth of the TTL, so it ends between 0.9 and 1
// TTL after its last use); ExpiresAt in the answer is when the session ends
// as of now. Get answers ENOTFOUND for a missing, expired or deleted
// session. Delete ends a session at once on the instance that calls it; on
// other instances sharing the store it ends when the store's invalidation
// reaches them (Redis: typically 1-2 ms), so logout is not atomic across
// instances.
type SessionStore interface {
	CreateSession(ctx context.Context, s *Session) error
	Session(ctx context.Context, id string) (*Session, error)
	DeleteSession(ctx context.Context, id string) error
}
