package app

import (
	"sync"
	"time"
)

// Identity is who a request acts for: taken from the session (or a realtime
// token), never from the query.
type Identity struct {
	UserID string
	OrgID  string
}

// identityCache memoises sid -> identity for a short TTL so the hot read
// path skips the SessionStore round trip. Logout on this instance removes the
// entry at once; on another instance sharing a Redis store, a logged-out
// session stays usable here for at most the TTL (1 s by default). An entry
// never outlives its session's expiry.
type identityCache struct {
	ttl    int64 // ns; <= 0 disables
	shards [identShards]identShard
}

const (
	identShards      = 16
	identShardMaxLen = 8192 // entries per shard before it is cleared
)

type identShard struct {
	mu sync.RWMutex
	m  map[string]identEntry
}

type identEntry struct {
	id  Identity
	exp int64 // unix ns
}

func newIdentityCache(ttl time.Duration) *identityCache {
	c := &identityCache{ttl: int64(ttl)}
	for i := range c.shards {
		c.shards[i].m = make(map[string]identEntry)
	}
	return c
}

func (c *identityCache) shard(sid []byte) *identShard {
	h := uint32(2166136261)
	for _, b := range sid {
		h = (h ^ uint32(b)) * 16777619
	}
	return &c.shards[h%identShards]
}

func (c *identityCache) get(sid []byte, now int64) (Identity, bool) {
	if c.ttl <= 0 {
		return Identity{}, false
	}
	sh := c.shard(sid)
	sh.mu.RLock()
	e, ok := sh.m[string(sid)]
	sh.mu.RUnlock()
	if !ok || now >= e.exp {
		return Identity{}, false
	}
	return e.id, true
}

func (c *identityCache) put(sid string, id Identity, now, sessionExp int64) {
	if c.ttl <= 0 {
		return
	}
	exp := min(now+c.ttl, sessionExp)
	sh := c.shard([]byte(sid))
	sh.mu.Lock()
	if len(sh.m) >= identShardMaxLen {
		clear(sh.m)
	}
	sh.m[sid] = identEntry{id: id, exp: exp}
	sh.mu.Unlock()
}

func (c *identityCache) del(sid string) {
	sh := c.shard([]byte(sid))
	sh.mu.Lock()
	delete(sh.m, sid)
	sh.mu.Unlock()
}

// delUser drops every entry of userID (logout everywhere; rare, so a scan).
func (c *identityCache) delUser(userID string) {
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		for sid, e := range sh.m {
			if e.id.UserID == userID {
				delete(sh.m, sid)
			}
		}
		sh.mu.Unlock()
	}
}
