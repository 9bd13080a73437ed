package inmem

import (
	"context"
	"fmt"
	"hash/maphash"
	"sync"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// sessionShards is the number of independently locked session maps.
const sessionShards = 16

// SessionStore is the memory SessionStore for one instance, with sliding
// expiry: reading a live session extends it by the store's TTL, at most once
// every tenth of the TTL (SessionRenewed reports that read, so the cookie
// follows it without a Set-Cookie on every response). Expired
// sessions answer ENOTFOUND at once and are removed on access and by a sweep
// of the shard that runs on CreateSession at most once per sweep interval
// (the smaller of the TTL and a minute), so memory holds live sessions plus
// at most one interval's worth of expired ones. No goroutine.
type SessionStore struct {
	ttl    time.Duration
	renew  time.Duration // extend a session once it is this much older than its last extension
	sweep  int64         // nanoseconds between sweeps of one shard
	seed   maphash.Seed
	shards [sessionShards]sessionShard
	users  userIndex
}

type sessionShard struct {
	mu        sync.Mutex
	m         map[string]*server.Session
	lastSweep int64
	_         [40]byte
}

var (
	_ server.SessionStore   = (*SessionStore)(nil)
	_ server.SessionRenewer = (*SessionStore)(nil)
	_ server.Pinger         = (*SessionStore)(nil)
)

// NewSessionStore returns a store whose sessions live ttl after their last
// use (SESSION_TTL; it has no default here: ttl <= 0 is a bug of the
// caller).
func NewSessionStore(ttl time.Duration) *SessionStore {
	if ttl <= 0 {
		panic(fmt.Sprintf("BUG: inmem.NewSessionStore: session ttl %v, want > 0", ttl))
	}
	s := &SessionStore{ttl: ttl, renew: ttl / 10, sweep: int64(min(ttl, time.Minute)), seed: maphash.MakeSeed(),
		users: newUserIndex(ttl)}
	for i := range s.shards {
		s.shards[i].m = make(map[string]*server.Session)
	}
	return s
}

func (s *SessionStore) shard(id string) *sessionShard {
	return &s.shards[maphash.String(s.seed, id)%sessionShards]
}

// CreateSession stores a copy of sess. It sets sess.CreatedAt (when zero)
// and sess.ExpiresAt (now + TTL). An empty ID is EINVALID; an ID in use is
// ECONFLICT.
func (s *SessionStore) CreateSession(_ context.Context, sess *server.Session) error {
	if sess == nil || sess.ID == "" {
		return server.Errorf(server.EINVALID, "session id is required")
	}
	now := time.Now()
	if sess.CreatedAt.IsZero() {
		sess.CreatedAt = now
	}
	sess.ExpiresAt = now.Add(s.ttl)
	c := *sess
	sh := s.shard(sess.ID)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.maybeSweep(now.UnixNano(), s.sweep, &s.users)
	if old, ok := sh.m[c.ID]; ok && old.ExpiresAt.After(now) {
		return server.Errorf(server.ECONFLICT, "session id already in use")
	}
	sh.m[c.ID] = &c
	s.users.add(c.UserID, c.ID)
	return nil
}

// Session returns a copy of the live session with id, extending it by the
// TTL when its last extension is a tenth of the TTL old; ENOTFOUND when
// missing, expired or deleted.
func (s *SessionStore) Session(ctx context.Context, id string) (*server.Session, error) {
	sess, _, err := s.SessionRenewed(ctx, id)
	return sess, err
}

// SessionRenewed implements server.SessionRenewer.
func (s *SessionStore) SessionRenewed(_ context.Context, id string) (*server.Session, bool, error) {
	now := time.Now()
	sh := s.shard(id)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sess, ok := sh.m[id]
	if !ok || !sess.ExpiresAt.After(now) {
		if ok {
			delete(sh.m, id)
			s.users.remove(sess.UserID, id)
		}
		return nil, false, server.Errorf(server.ENOTFOUND, "session not found")
	}
	renewed := sess.ExpiresAt.Sub(now) <= s.ttl-s.renew
	if renewed {
		sess.ExpiresAt = now.Add(s.ttl)
	}
	c := *sess
	return &c, renewed, nil
}

// DeleteSession ends the session; deleting a missing session is not an
// error.
func (s *SessionStore) DeleteSession(_ context.Context, id string) error {
	sh := s.shard(id)
	sh.mu.Lock()
	if sess, ok := sh.m[id]; ok {
		delete(sh.m, id)
		s.users.remove(sess.UserID, id)
	}
	sh.mu.Unlock()
	return nil
}

// EndUserSessions implements server.SessionStore: it ends every session of
// userID.
func (s *SessionStore) EndUserSessions(_ context.Context, userID string) (time.Time, error) {
	at := time.Now()
	ids := s.users.end(userID, at)
	for _, id := range ids {
		sh := s.shard(id)
		sh.mu.Lock()
		if sess, ok := sh.m[id]; ok && sess.UserID == userID {
			delete(sh.m, id)
		}
		sh.mu.Unlock()
	}
	return at, nil
}

// UserNotBefore implements server.SessionStore.
func (s *SessionStore) UserNotBefore(_ context.Context, userID string) (time.Time, error) {
	return s.users.notBefore(userID, time.Now()), nil
}

// Len returns the number of sessions held, expired ones not yet swept
// included.
func (s *SessionStore) Len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}

// Ping always succeeds: the memory store has no backend.
func (s *SessionStore) Ping(context.Context) error { return nil }

// maybeSweep removes expired sessions when the last sweep is older than
// every. sh.mu held.
func (sh *sessionShard) maybeSweep(now, every int64, users *userIndex) {
	if now-sh.lastSweep < every {
		return
	}
	sh.lastSweep = now
	for id, sess := range sh.m {
		if sess.ExpiresAt.UnixNano() <= now {
			delete(sh.m, id)
			users.remove(sess.UserID, id)
		}
	}
}
