package inmem

import (
	"sync"
	"time"
)

// userIndex is the SessionStore's per-user index: the ids of each user's
// sessions, and each user's not-before time (kept one TTL). Lock order: a
// shard's mutex, then mu; never the other way.
type userIndex struct {
	ttl time.Duration

	mu  sync.Mutex
	ids map[string]map[string]struct{} // user id -> session ids
	nbf map[string]time.Time           // user id -> last EndUserSessions
}

func newUserIndex(ttl time.Duration) userIndex {
	return userIndex{ttl: ttl, ids: make(map[string]map[string]struct{}), nbf: make(map[string]time.Time)}
}

func (u *userIndex) add(user, id string) {
	u.mu.Lock()
	set := u.ids[user]
	if set == nil {
		set = make(map[string]struct{}, 1)
		u.ids[user] = set
	}
	set[id] = struct{}{}
	u.mu.Unlock()
}

func (u *userIndex) remove(user, id string) {
	u.mu.Lock()
	if set := u.ids[user]; set != nil {
		delete(set, id)
		if len(set) == 0 {
			delete(u.ids, user)
		}
	}
	u.mu.Unlock()
}

// end records at as user's not-before time and answers (and forgets) the
// user's session ids. Not-before times older than the TTL are dropped.
func (u *userIndex) end(user string, at time.Time) []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	for k, t := range u.nbf {
		if at.Sub(t) > u.ttl {
			delete(u.nbf, k)
		}
	}
	u.nbf[user] = at
	set := u.ids[user]
	delete(u.ids, user)
	ids := make([]string, 0, len(set))
	for id := range set {
		ids = append(ids, id)
	}
	return ids
}

func (u *userIndex) notBefore(user string, now time.Time) time.Time {
	u.mu.Lock()
	t := u.nbf[user]
	u.mu.Unlock()
	if now.Sub(t) > u.ttl {
		return time.Time{}
	}
	return t
}
