package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/rueidis"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/internal/fasttime"
)

var (
	_ server.SessionStore   = (*SessionStore)(nil)
	_ server.SessionRenewer = (*SessionStore)(nil)
	_ server.Pinger         = (*SessionStore)(nil)
)

// sessionRenewDivisor: a session is extended once at most every
// ttl/sessionRenewDivisor.
const sessionRenewDivisor = 10

// SessionStore keeps sessions in Redis as JSON under prefix+"session:"+id,
// with PX set to the session's ExpiresAt (the JSON's ExpiresAt is what
// Redis has).
//
// Reads come from the client-side cache: Session is a GET through rueidis
// DoCache (CLIENT TRACKING; local copy kept at most renewEvery, below, and
// never past the key's own expiry: a copy that old would be renewed, which
// invalidates it, on its next lookup anyway), and a repeated lookup of a live session
// on this instance is a direct lookup in process memory: no round trip, and
// no Redis at all, so it is answered even while the breaker refuses round
// trips. (A connection that breaks drops the entries it filled, so a
// session cached before a disconnect is looked up again after it.) A
// lookup of an unknown id is not kept in memory.
//
// Sliding expiry without a write per request: a lookup that finds the
// session last extended more than renewEvery = ttl/10 ago rewrites it with
// ExpiresAt = now+ttl (SET XX PX ttl) in the background, once per id at a
// time on this instance; the answer carries the expiry Redis has now, and a
// failed renewal does not fail the lookup. So a session ends between 0.9×ttl
// and ttl after its last use (21.6 h to 24 h for the default). The rewrite
// invalidates every instance's copy, which each fetches again once.
//
// Logout: DeleteSession (DEL) ends the session on this instance at once
// (an instance reads ids it wrote in the last second with a plain GET, as
// the Cache does); Redis then pushes an invalidation to every other
// instance holding a copy, which serves the session until that push
// arrives (typically 1-2 ms, longer on a starved process; bounded by
// ReadTimeout while a connection hangs). Logout is therefore not atomic
// across instances, as with the HTTP layer's own identity memo.
//
// Sessions written by a version that slid expiry with GETEX carry a stale
// ExpiresAt; their first lookup renews them, which fixes it.
type SessionStore struct {
	rc         rueidis.Client
	prefix     string
	base       string // cfg.Prefix: the per-user keys live under it
	ikey       string // index key of prefix in local
	ttl        time.Duration
	renewEvery time.Duration
	localTTL   time.Duration // bound of a client-side copy: renewEvery
	timeout    time.Duration // per round trip
	br         breaker
	guard      writeGuard  // by id
	local      *localCache // nil: no direct lookups

	mu       sync.Mutex
	renewing map[string]struct{} // ids with a renewal in flight
}

// NewSessionStore returns a SessionStore on rc (from NewClient; another
// rueidis.Client works without direct lookups) whose sessions live ttl
// after their last use (SESSION_TTL; it has no default here: ttl <= 0 is a
// bug of the caller). cfg gives Prefix and ReadTimeout.
func NewSessionStore(rc rueidis.Client, cfg Config, ttl time.Duration) *SessionStore {
	cfg = cfg.withDefaults()
	if ttl <= 0 {
		panic(fmt.Sprintf("BUG: redis.NewSessionStore: session ttl %v, want > 0", ttl))
	}
	fasttime.Start()
	st := &SessionStore{rc: rc, prefix: cfg.Prefix + "session:", base: cfg.Prefix, ttl: ttl, renewEvery: ttl / sessionRenewDivisor,
		localTTL: ttl / sessionRenewDivisor, timeout: cfg.ReadTimeout, renewing: make(map[string]struct{})}
	// index(prefix+id) == index(prefix)+id unless the strip prefix extends
	// ours (then it depends on id).
	if l := localCacheOf(rc); l != nil && !(len(st.prefix) < len(l.strip) && strings.HasPrefix(l.strip, st.prefix)) {
		st.local, st.ikey = l, l.index(st.prefix)
	}
	return st
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
	st.guard.mark(s.ID)
	if rueidis.IsRedisNil(err) {
		st.br.record(nil)
		return server.Errorf(server.ECONFLICT, "session id already in use")
	}
	if err != nil {
		return classify(&st.br, "session", "create", err)
	}
	st.br.record(nil)
	return st.index(ctx, s.UserID, s.ID)
}

// Session answers the live session id, from process memory when it can,
// and extends it when it is due (see SessionStore).
func (st *SessionStore) Session(ctx context.Context, id string) (*server.Session, error) {
	s, _, err := st.SessionRenewed(ctx, id)
	return s, err
}

// SessionRenewed implements server.SessionRenewer: renewed reports that
// this lookup started the session's renewal, and ExpiresAt is then the
// expiry the renewal sets.
func (st *SessionStore) SessionRenewed(ctx context.Context, id string) (*server.Session, bool, error) {
	if id == "" {
		return nil, false, server.Errorf(server.ENOTFOUND, "session not found")
	}
	dirty := st.guard.dirty(id)
	if st.local != nil && !dirty {
		if s, ok := st.lookupLocal(id); ok {
			return st.answer(s)
		}
	}
	if !st.br.allow() {
		return nil, false, unavailable("session store unavailable", errBreakerOpen)
	}
	s, err := st.fetch(ctx, id, dirty)
	if err != nil {
		return nil, false, err
	}
	return st.answer(s)
}

// lookupLocal answers the session id from the client-side cache: ok with
// s == nil when the cache holds "absent", !ok when it holds nothing usable.
// s is shared: do not modify it.
func (st *SessionStore) lookupLocal(id string) (s *server.Session, ok bool) {
	var buf [96]byte
	e := st.local.lookupEntry(append(append(buf[:0], st.ikey...), id...))
	if e == nil {
		return nil, false
	}
	if s = e.session.Load(); s != nil {
		return s, true
	}
	v, err := e.val.ToString()
	if err != nil {
		return nil, e.val.IsNil()
	}
	if s, err = decodeSession(v); err != nil {
		return nil, false // the round trip reports it
	}
	e.session.Store(s)
	return s, true
}

// fetch reads the session id with a round trip: DoCache, or a plain GET
// when this instance wrote it recently. It answers nil for an absent id.
func (st *SessionStore) fetch(ctx context.Context, id string, dirty bool) (*server.Session, error) {
	key := st.prefix + id
	ctx, cancel := context.WithTimeout(ctx, st.timeout)
	defer cancel()
	var resp rueidis.RedisResult
	if dirty {
		resp = st.rc.Do(ctx, st.rc.B().Get().Key(key).Build())
	} else {
		resp = st.rc.DoCache(ctx, st.rc.B().Get().Key(key).Cache(), st.localTTL)
	}
	v, err := resp.ToString()
	if rueidis.IsRedisNil(err) {
		st.br.record(nil)
		if st.local != nil && !dirty {
			var buf [96]byte
			st.local.forgetNil(append(append(buf[:0], st.ikey...), id...))
		}
		return nil, nil
	}
	if err != nil {
		return nil, classify(&st.br, "session", "get", err)
	}
	st.br.record(nil)
	return decodeSession(v)
}

func decodeSession(v string) (*server.Session, error) {
	var s server.Session
	if err := json.Unmarshal([]byte(v), &s); err != nil {
		return nil, fmt.Errorf("cannot decode session: %w", err)
	}
	return &s, nil
}

// answer answers a copy of s (nil: ENOTFOUND), starting its renewal when
// it is due; renewed reports that it did.
func (st *SessionStore) answer(s *server.Session) (*server.Session, bool, error) {
	if s == nil {
		return nil, false, server.Errorf(server.ENOTFOUND, "session not found")
	}
	// The coarse clock lags: a renewal is at most a few ms late, never early.
	now := fasttime.UnixNano()
	if s.ExpiresAt.UnixNano()-now < int64(st.ttl-st.renewEvery) && st.renew(s) {
		c := *s
		c.ExpiresAt = time.Unix(0, now).Add(st.ttl)
		return &c, true, nil
	}
	c := *s
	return &c, false, nil
}

// renew extends s in the background unless a renewal of s.ID is in flight
// or the breaker refuses round trips; it reports whether it started one.
func (st *SessionStore) renew(s *server.Session) bool {
	st.mu.Lock()
	_, busy := st.renewing[s.ID]
	if !busy {
		st.renewing[s.ID] = struct{}{}
	}
	st.mu.Unlock()
	if busy {
		return false
	}
	if !st.br.allow() {
		st.renewDone(s.ID)
		return false
	}
	n := *s
	go func() {
		defer st.renewDone(n.ID)
		_ = st.extend(&n) // the session stays valid until its current ExpiresAt
	}()
	return true
}

func (st *SessionStore) renewDone(id string) {
	st.mu.Lock()
	delete(st.renewing, id)
	st.mu.Unlock()
}

// extend rewrites s with ExpiresAt = now+ttl if it still exists; the
// breaker has allowed the call.
func (st *SessionStore) extend(s *server.Session) error {
	now := time.Now()
	s.ExpiresAt = now.Add(st.ttl)
	b, err := json.Marshal(s)
	if err != nil {
		st.br.record(nil)
		return fmt.Errorf("cannot encode session: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), st.timeout)
	defer cancel()
	cmd := st.rc.B().Set().Key(st.prefix + s.ID).Value(rueidis.BinaryString(b)).Xx().PxMilliseconds(st.ttl.Milliseconds()).Build()
	res := st.rc.DoMulti(ctx, cmd, st.indexExpire(s.UserID)) // the index outlives its sessions
	err = res[0].Error()
	st.guard.mark(s.ID)
	if err != nil && !rueidis.IsRedisNil(err) { // nil: gone meanwhile
		return classify(&st.br, "session", "renew", err)
	}
	st.br.record(nil)
	return nil
}

// DeleteSession ends the session id: at once on this instance, on the
// others when Redis' invalidation reaches them (see SessionStore); a
// missing id is not an error.
func (st *SessionStore) DeleteSession(ctx context.Context, id string) error {
	if !st.br.allow() {
		return unavailable("session store unavailable", errBreakerOpen)
	}
	ctx, cancel := context.WithTimeout(ctx, st.timeout)
	defer cancel()
	err := st.rc.Do(ctx, st.rc.B().Del().Key(st.prefix+id).Build()).Error()
	st.guard.mark(id)
	if err != nil {
		return classify(&st.br, "session", "delete", err)
	}
	st.br.record(nil)
	return nil
}

// Ping checks Redis.
func (st *SessionStore) Ping(ctx context.Context) error {
	return ping(ctx, st.rc, &st.br)
}
