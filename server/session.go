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

// SessionRenewer is the optional ability of a SessionStore to tell which
// lookup extended a session (at most once every tenth of the TTL), so the
// session cookie can follow: SessionRenewed is Session that also reports
// renewed, and then ExpiresAt is the new expiry. (A flag in Session would
// grow every lookup's allocation into a larger size class.)
type SessionRenewer interface {
	SessionRenewed(ctx context.Context, id string) (s *Session, renewed bool, err error)
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
//
// EndUserSessions is "log out everywhere": it records now as the user's
// not-before time, then ends every session of the user (a session created
// while it runs may survive: that login came after the logout). It answers
// the not-before time. UserNotBefore answers the latest such time (zero
// when none within the session TTL); credentials issued before it, such as
// realtime tokens, are refused by their verifiers.
type SessionStore interface {
	CreateSession(ctx context.Context, s *Session) error
	Session(ctx context.Context, id string) (*Session, error)
	DeleteSession(ctx context.Context, id string) error
	EndUserSessions(ctx context.Context, userID string) (time.Time, error)
	UserNotBefore(ctx context.Context, userID string) (time.Time, error)
}

// SessionCookie is the name of the cookie that carries a session id: the
// server sets it at login, and every client (browsers, load tools, suites)
// sends it back.
const SessionCookie = "sid"
