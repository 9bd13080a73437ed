package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/rueidis"

	"github.com/echosenseix/echosenseix/server"
)

var (
	_ server.SessionStore = (*SessionStore)(nil)
	_ server.Pinger       = (*SessionStore)(nil)
)

// DefaultSessionTTL is the SessionStore's sliding expiry when none is given.
const DefaultSessionTTL = 24 * time.Hour

// SessionStore keeps sessions in Redis as JSON under prefix+"session:"+id,
// with sliding expiry: Session is one GETEX key PX ttl, which reads the
// session and extends it in one round trip.
//
// Sessions are deliberately not served from the client-side cache: a
// DoCache copy would be dropped only when the invalidation of DeleteSession
// reaches this instance, which leaves a short window where a logged-out
// session still works here; and GETEX is a write (it moves the expiry), so
// it cannot be cached anyway. One round trip per authenticated request buys
// "logout ends the session everywhere at once".
type SessionStore struct {
	rc      rueidis.Client
	prefix  string
	ttl     time.Duration
	timeout time.Duration // per round trip
	br      breaker
}

// NewSessionStore returns a SessionStore on rc; ttl <= 0 means
// DefaultSessionTTL. cfg gives Prefix.
func NewSessionStore(rc rueidis.Client, cfg Config, ttl time.Duration) *SessionStore {
	cfg = cfg.withDefaults()
	if ttl <= 0 {
		ttl = DefaultSessionTTL
	}
	return &SessionStore{rc: rc, prefix: cfg.Prefix + "session:", ttl: ttl, timeout: cfg.ReadTimeout}
}

// CreateSession stores s, setting CreatedAt (when zero) and ExpiresAt; an
// id already in use answers ECONFLICT and leaves that session alone.
func (st *SessionStore) CreateSession(ctx context.Context, s *server.Session) error {
	if s.ID == "" {
		return server.Errorf(server.EINVALID, "session id is required")
	}
	if !st.br.allow() {
		return unavailable("session store unavailable", errBreakerOpen)
	}
	now := time.Now()
	if s.CreatedAt.IsZero() {
		s.CreatedAt = now
	}
	s.ExpiresAt = now.Add(st.ttl)
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("cannot encode session: %w", err)
	}
	cmd := st.rc.B().Set().Key(st.prefix + s.ID).Value(rueidis.BinaryString(b)).Nx().PxMilliseconds(st.ttl.Milliseconds()).Build()
	ctx, cancel := context.WithTimeout(ctx, st.timeout)
	defer cancel()
	err = st.rc.Do(ctx, cmd).Error()
	if rueidis.IsRedisNil(err) {
		st.br.record(nil)
		return server.Errorf(server.ECONFLICT, "session id already in use")
	}
	if err != nil {
		return classify(&st.br, "session", "create", err)
	}
	st.br.record(nil)
	return nil
}

// Session answers the live session id and extends it by the store's TTL.
func (st *SessionStore) Session(ctx context.Context, id string) (*server.Session, error) {
	if id == "" {
		return nil, server.Errorf(server.ENOTFOUND, "session not found")
	}
	if !st.br.allow() {
		return nil, unavailable("session store unavailable", errBreakerOpen)
	}
	now := time.Now()
	cmd := st.rc.B().Getex().Key(st.prefix + id).PxMilliseconds(st.ttl.Milliseconds()).Build()
	ctx, cancel := context.WithTimeout(ctx, st.timeout)
	defer cancel()
	b, err := st.rc.Do(ctx, cmd).AsBytes()
	if rueidis.IsRedisNil(err) {
		st.br.record(nil)
		return nil, server.Errorf(server.ENOTFOUND, "session not found")
	}
	if err != nil {
		return nil, classify(&st.br, "session", "get", err)
	}
	st.br.record(nil)
	var s server.Session
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("cannot decode session: %w", err)
	}
	s.ExpiresAt = now.Add(st.ttl)
	return &s, nil
}

// DeleteSession ends the session id on every instance; a missing id is not
// an error.
func (st *SessionStore) DeleteSession(ctx context.Context, id string) error {
	if !st.br.allow() {
		return unavailable("session store unavailable", errBreakerOpen)
	}
	ctx, cancel := context.WithTimeout(ctx, st.timeout)
	defer cancel()
	if err := st.rc.Do(ctx, st.rc.B().Del().Key(st.prefix+id).Build()).Error(); err != nil {
		return classify(&st.br, "session", "delete", err)
	}
	st.br.record(nil)
	return nil
}

// Ping checks Redis.
func (st *SessionStore) Ping(ctx context.Context) error {
	return ping(ctx, st.rc, &st.br)
}
