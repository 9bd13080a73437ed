package redis

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/rueidis"

	"github.com/echosenseix/echosenseix/server"
)

// indexPruneAt is the size of a user's session index past which a login
// drops the ids of sessions that ended (a logout leaves its id behind).
const indexPruneAt = 32

// The per-user keys: prefix+"session-user:"+user is a set of the user's
// session ids, expiring a TTL after the user's latest login or renewal (so
// after all of its sessions); prefix+"session-nbf:"+user holds the unix ms
// of the user's last EndUserSessions, for one TTL. Both are single-key
// commands, so they work on Redis Cluster.
func (st *SessionStore) indexKey(user string) string { return st.base + "session-user:" + user }
func (st *SessionStore) nbfKey(user string) string   { return st.base + "session-nbf:" + user }

func (st *SessionStore) indexExpire(user string) rueidis.Completed {
	return st.rc.B().Pexpire().Key(st.indexKey(user)).Milliseconds(st.ttl.Milliseconds()).Build()
}

// index adds the new session id to user's index (one round trip), pruning
// the index when it has grown.
func (st *SessionStore) index(ctx context.Context, user, id string) error {
	ctx, cancel := context.WithTimeout(ctx, st.timeout)
	defer cancel()
	key := st.indexKey(user)
	res := st.rc.DoMulti(ctx, st.rc.B().Sadd().Key(key).Member(id).Build(), st.indexExpire(user),
		st.rc.B().Scard().Key(key).Build())
	for _, r := range res {
		if err := r.Error(); err != nil {
			return classify(&st.br, "session", "index", err)
		}
	}
	if n, _ := res[2].AsInt64(); n > indexPruneAt {
		st.prune(ctx, key)
	}
	return nil
}

// prune drops the ids of ended sessions from the index key (best effort).
func (st *SessionStore) prune(ctx context.Context, key string) {
	ids, err := st.rc.Do(ctx, st.rc.B().Smembers().Key(key).Build()).AsStrSlice()
	if err != nil || len(ids) == 0 {
		return
	}
	cmds := make(rueidis.Commands, len(ids))
	for i, id := range ids {
		cmds[i] = st.rc.B().Exists().Key(st.prefix + id).Build()
	}
	var gone []string
	for i, r := range st.rc.DoMulti(ctx, cmds...) {
		if n, err := r.AsInt64(); err == nil && n == 0 {
			gone = append(gone, ids[i])
		}
	}
	if len(gone) > 0 {
		st.rc.Do(ctx, st.rc.B().Srem().Key(key).Member(gone...).Build())
	}
}

// EndUserSessions implements server.SessionStore: SET of the not-before
// time first (tokens are refused even if the rest fails), then DEL of every
// indexed session, whose invalidations end them on every instance.
func (st *SessionStore) EndUserSessions(ctx context.Context, userID string) (time.Time, error) {
	if !st.br.allow() {
		return time.Time{}, unavailable("session store unavailable", errBreakerOpen)
	}
	ctx, cancel := context.WithTimeout(ctx, st.timeout)
	defer cancel()
	at := time.Now()
	set := st.rc.B().Set().Key(st.nbfKey(userID)).Value(strconv.FormatInt(at.UnixMilli(), 10)).
		PxMilliseconds(st.ttl.Milliseconds()).Build()
	res := st.rc.DoMulti(ctx, set, st.rc.B().Smembers().Key(st.indexKey(userID)).Build())
	st.guard.mark("nbf:" + userID)
	ids, err := res[1].AsStrSlice()
	if err == nil {
		err = res[0].Error()
	}
	if err != nil {
		return time.Time{}, classify(&st.br, "session", "end user sessions", err)
	}
	if len(ids) > 0 {
		cmds := make(rueidis.Commands, 0, len(ids)+1)
		for _, id := range ids {
			cmds = append(cmds, st.rc.B().Del().Key(st.prefix+id).Build())
		}
		cmds = append(cmds, st.rc.B().Srem().Key(st.indexKey(userID)).Member(ids...).Build())
		for i, r := range st.rc.DoMulti(ctx, cmds...) {
			if i < len(ids) {
				st.guard.mark(ids[i])
			}
			if err := r.Error(); err != nil {
				return time.Time{}, classify(&st.br, "session", "end user sessions", err)
			}
		}
	}
	st.br.record(nil)
	return at.Truncate(time.Millisecond), nil
}

// UserNotBefore implements server.SessionStore, from the client-side cache
// (a logout everywhere on another instance reaches it with Redis'
// invalidation, like a logout).
func (st *SessionStore) UserNotBefore(ctx context.Context, userID string) (time.Time, error) {
	if !st.br.allow() {
		return time.Time{}, unavailable("session store unavailable", errBreakerOpen)
	}
	ctx, cancel := context.WithTimeout(ctx, st.timeout)
	defer cancel()
	key := st.nbfKey(userID)
	var resp rueidis.RedisResult
	if st.guard.dirty("nbf:" + userID) {
		resp = st.rc.Do(ctx, st.rc.B().Get().Key(key).Build())
	} else {
		resp = st.rc.DoCache(ctx, st.rc.B().Get().Key(key).Cache(), st.localTTL)
	}
	ms, err := resp.AsInt64()
	if rueidis.IsRedisNil(err) {
		st.br.record(nil)
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, classify(&st.br, "session", "read not-before", err)
	}
	st.br.record(nil)
	return time.UnixMilli(ms), nil
}

var _ server.SessionStore = (*SessionStore)(nil)
