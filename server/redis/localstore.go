package redis

import (
	"container/list"
	"context"
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/internal/fasttime"
)

// Approximate bookkeeping bytes of one entry (structs, list element, map
// slots, the RedisMessage), added to its key, command and value lengths.
const localEntryOverhead = 256

// touchEvery (ms): a hit moves its entry to the back of the LRU list at
// most this often, so that hits stay on the read lock and write nothing
// shared.
const touchEvery = 1000

// localShards splits the client-side cache into independently locked parts.
const localShards = 16

// getCmd is the command part of the cache key of GET in rueidis.
const getCmd = "GET"

// localCache is the client-side cache of one client: the entries of all its
// connections, kept in LRUs bounded in approximate bytes, sharded by key.
// rueidis talks to it through one connStore per connection (the
// rueidis.CacheStore contract: single-flight fills, invalidations, a flush
// of a connection's entries when it breaks); Cache.Get reads it directly
// (lookup), which is the no-round-trip, no-allocation hit path, and
// SessionStore.Session reads session keys directly too (lookupEntry).
//
// Keys starting with strip (the Cache's key prefix) are indexed without it,
// so that lookup needs no string concatenation; other keys are indexed as
// "\x00"+key, which no stripped key can equal... unless it starts with
// "\x00" too, which Cache keys never do.
type localCache struct {
	strip  string
	seed   maphash.Seed
	shards [localShards]localShard
	nextID atomic.Uint64

	entries   atomic.Int64
	bytes     atomic.Int64
	evictions atomic.Uint64
}

type localShard struct {
	mu   sync.RWMutex
	keys map[string]*localKey
	lru  list.List // of *localEntry, least recent first
	size int
	max  int
	_    [64]byte // keep shards' locks on separate cache lines
}

type localKey struct {
	key     string                   // index key
	get     *list.Element            // the entry of GET, the Cache's command
	cmds    map[string]*list.Element // entries of other commands; nil when none
	touched atomic.Int64             // coarse unix ms of the last move to the LRU back
}

func (lk *localKey) elem(cmd string) *list.Element {
	if cmd == getCmd {
		return lk.get
	}
	return lk.cmds[cmd]
}

func (lk *localKey) setElem(cmd string, ele *list.Element) {
	if cmd == getCmd {
		lk.get = ele
		return
	}
	if lk.cmds == nil {
		lk.cmds = make(map[string]*list.Element, 1)
	}
	lk.cmds[cmd] = ele
}

// delElem forgets the entry of cmd and reports whether lk is empty now.
func (lk *localKey) delElem(cmd string) bool {
	if cmd == getCmd {
		lk.get = nil
	} else {
		delete(lk.cmds, cmd)
	}
	return lk.get == nil && len(lk.cmds) == 0
}

// elems returns every entry of lk.
func (lk *localKey) elems() []*list.Element {
	all := make([]*list.Element, 0, 1+len(lk.cmds))
	if lk.get != nil {
		all = append(all, lk.get)
	}
	for _, ele := range lk.cmds {
		all = append(all, ele)
	}
	return all
}

type localEntry struct {
	lk     *localKey
	cmd    string
	owner  uint64 // the connStore that filled it
	val    rueidis.RedisMessage
	filled bool
	pxat   int64 // client-side expiry, unix milliseconds
	size   int
	ch     chan struct{}
	err    error
	// session is the SessionStore's decoded copy of val, made by the first
	// direct hit and dropped with the entry (never modified once stored).
	session atomic.Pointer[server.Session]
}

func newLocalCache(maxBytes int, strip string) *localCache {
	c := &localCache{strip: strip, seed: maphash.MakeSeed()}
	for i := range c.shards {
		s := &c.shards[i]
		s.keys = make(map[string]*localKey)
		s.max = max(maxBytes/localShards, 1)
		s.lru.Init()
	}
	fasttime.Start()
	return c
}

// index returns the index key of a Redis key.
func (c *localCache) index(key string) string {
	if strings.HasPrefix(key, c.strip) {
		return key[len(c.strip):]
	}
	return "\x00" + key
}

func (c *localCache) shard(ikey string) *localShard {
	return &c.shards[c.shardIndex(ikey)]
}

func (c *localCache) shardIndex(ikey string) uint64 {
	return maphash.String(c.seed, ikey) % localShards
}

// shardOf is the shard of the index key ikey given as bytes (the same one
// shardIndex picks for it as a string).
func (c *localCache) shardOf(ikey []byte) *localShard {
	return &c.shards[maphash.Bytes(c.seed, ikey)%localShards]
}

// lookup answers the live cached GET reply of the Redis key strip+ikey,
// without allocating, and the index of its shard.
func (c *localCache) lookup(ikey string) (rueidis.RedisMessage, uint64, bool) {
	i := c.shardIndex(ikey)
	s := &c.shards[i]
	s.mu.RLock()
	e := s.live(s.keys[ikey])
	if e == nil {
		return rueidis.RedisMessage{}, i, false
	}
	return e.val, i, true
}

// lookupEntry answers the live filled GET entry of the index key ikey (see
// index), or nil, without allocating. Its val and session are safe to read
// without a lock (val never changes once filled).
func (c *localCache) lookupEntry(ikey []byte) *localEntry {
	s := c.shardOf(ikey)
	s.mu.RLock()
	return s.live(s.keys[string(ikey)])
}

// live answers lk's GET entry when it is filled and not expired, or nil;
// s.mu is read-locked by the caller and released here.
func (s *localShard) live(lk *localKey) *localEntry {
	var ele *list.Element
	if lk != nil {
		ele = lk.get
	}
	if ele == nil {
		s.mu.RUnlock()
		return nil
	}
	e := ele.Value.(*localEntry)
	now := fasttime.UnixMilli()
	if !e.filled || e.pxat <= now {
		s.mu.RUnlock()
		return nil
	}
	s.mu.RUnlock()
	if t := lk.touched.Load(); now-t >= touchEvery && lk.touched.CompareAndSwap(t, now) {
		s.touch(ele)
	}
	return e
}

// forgetNil drops the cached GET reply of the index key ikey when it is a
// nil (the key was absent), so that lookups of unknown keys do not fill
// the cache. Redis still tracks the key for this client until it is
// written or the tracking table evicts it.
func (c *localCache) forgetNil(ikey []byte) {
	s := c.shardOf(ikey)
	s.mu.Lock()
	if lk := s.keys[string(ikey)]; lk != nil && lk.get != nil {
		if e := lk.get.Value.(*localEntry); e.filled && e.val.IsNil() {
			c.remove(s, lk.get)
		}
	}
	s.mu.Unlock()
}

func (s *localShard) touch(ele *list.Element) {
	s.mu.Lock()
	if ele.Next() != nil && ele.Value.(*localEntry).filled {
		s.lru.MoveToBack(ele) // no-op when ele was removed meanwhile
	}
	s.mu.Unlock()
}

// store returns the rueidis.CacheStore of one new connection.
func (c *localCache) store() *connStore {
	return &connStore{c: c, id: c.nextID.Add(1)}
}

// connStore is the rueidis.CacheStore of one connection: a view of the
// client's localCache whose entries it owns are dropped when the
// connection breaks.
type connStore struct {
	c      *localCache
	id     uint64
	closed atomic.Bool
}

var _ rueidis.CacheStore = (*connStore)(nil)

// Wait blocks until the pending fill of e ends or ctx does.
func (e *localEntry) Wait(ctx context.Context) (rueidis.RedisMessage, error) {
	select {
	case <-ctx.Done():
		return rueidis.RedisMessage{}, ctx.Err()
	case <-e.ch:
		return e.val, e.err
	}
}

// Flight answers a hit (v), a pending fill to wait for (e), or neither: the
// caller must send the command and then call Update or Cancel.
func (cs *connStore) Flight(key, cmd string, ttl time.Duration, now time.Time) (rueidis.RedisMessage, rueidis.CacheEntry) {
	ikey := cs.c.index(key)
	s := cs.c.shard(ikey)
	nowMs := now.UnixMilli()
	s.mu.RLock()
	var ele *list.Element
	if lk := s.keys[ikey]; lk != nil {
		ele = lk.elem(cmd)
	}
	if ele != nil {
		e := ele.Value.(*localEntry)
		if e.filled && e.pxat > nowMs {
			v := e.val
			s.mu.RUnlock()
			return v, nil
		}
		if !e.filled {
			s.mu.RUnlock()
			return rueidis.RedisMessage{}, e
		}
	}
	s.mu.RUnlock()
	if cs.closed.Load() {
		return rueidis.RedisMessage{}, nil // no entry a dead connection would own
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	lk := s.keys[ikey]
	if lk == nil {
		lk = &localKey{key: ikey}
		lk.touched.Store(nowMs)
		s.keys[ikey] = lk
	}
	if ele := lk.elem(cmd); ele != nil {
		e := ele.Value.(*localEntry)
		switch {
		case !e.filled:
			return rueidis.RedisMessage{}, e
		case e.pxat > nowMs:
			return e.val, nil
		}
		cs.c.remove(s, ele) // expired
	}
	e := &localEntry{lk: lk, cmd: cmd, owner: cs.id, pxat: nowMs + ttl.Milliseconds(), ch: make(chan struct{})}
	lk.setElem(cmd, s.lru.PushBack(e))
	return rueidis.RedisMessage{}, nil
}

// Update fills the pending entry of (key, cmd) with val, wakes its waiters
// and answers the client-side expiry: the requested TTL, shortened to the
// key's server-side expiry.
func (cs *connStore) Update(key, cmd string, val rueidis.RedisMessage) (pxat int64) {
	ikey := cs.c.index(key)
	s := cs.c.shard(ikey)
	var ch chan struct{}
	s.mu.Lock()
	if lk := s.keys[ikey]; lk != nil {
		if ele := lk.elem(cmd); ele != nil {
			if e := ele.Value.(*localEntry); !e.filled {
				pxat = e.pxat
				if server := val.CachePXAT(); server > 0 && server < pxat {
					pxat = server
				}
				str, _ := val.ToString()
				e.val, e.filled, e.pxat = val, true, pxat
				e.size = localEntryOverhead + 2*(len(key)+len(cmd)) + len(str)
				s.size += e.size
				cs.c.entries.Add(1)
				cs.c.bytes.Add(int64(e.size))
				ch = e.ch
				cs.c.evict(s)
			}
		}
	}
	s.mu.Unlock()
	if ch != nil {
		close(ch)
	}
	return pxat
}

// evict drops least recently used filled entries until s fits.
func (c *localCache) evict(s *localShard) {
	for ele := s.lru.Front(); s.size > s.max && ele != nil; {
		next := ele.Next()
		if ele.Value.(*localEntry).filled {
			c.remove(s, ele)
			c.evictions.Add(1)
		}
		ele = next
	}
}

// remove unlinks ele; s.mu is held.
func (c *localCache) remove(s *localShard, ele *list.Element) {
	e := ele.Value.(*localEntry)
	s.lru.Remove(ele)
	if e.lk.delElem(e.cmd) {
		delete(s.keys, e.lk.key)
	}
	if e.filled {
		s.size -= e.size
		c.entries.Add(-1)
		c.bytes.Add(-int64(e.size))
	}
}

// Cancel fails the pending fill of (key, cmd) with err and forgets it.
func (cs *connStore) Cancel(key, cmd string, err error) {
	ikey := cs.c.index(key)
	s := cs.c.shard(ikey)
	var ch chan struct{}
	s.mu.Lock()
	if lk := s.keys[ikey]; lk != nil {
		if ele := lk.elem(cmd); ele != nil {
			if e := ele.Value.(*localEntry); !e.filled {
				e.err, ch = err, e.ch
				cs.c.remove(s, ele)
			}
		}
	}
	s.mu.Unlock()
	if ch != nil {
		close(ch)
	}
}

// Delete handles an invalidation: the filled entries of keys, or of every
// key this connection filled when keys is nil. Pending fills stay: their
// reply was computed after the write that caused this invalidation (replies
// and pushes share one ordered connection).
func (cs *connStore) Delete(keys []rueidis.RedisMessage) {
	if keys == nil {
		cs.c.dropOwned(cs.id, nil)
		return
	}
	for i := range keys {
		k, _ := keys[i].ToString()
		ikey := cs.c.index(k)
		s := cs.c.shard(ikey)
		s.mu.Lock()
		if lk := s.keys[ikey]; lk != nil {
			for _, ele := range lk.elems() {
				if ele.Value.(*localEntry).filled {
					cs.c.remove(s, ele)
				}
			}
		}
		s.mu.Unlock()
	}
}

// Close drops every entry of this connection and fails its pending fills
// with err: the connection is gone and with it the invalidations that kept
// the entries coherent, so nothing cached before a disconnect is served
// after it.
func (cs *connStore) Close(err error) {
	cs.closed.Store(true)
	cs.c.dropOwned(cs.id, err)
}

// dropOwned removes the entries owned by id: filled ones, and pending ones
// too (failed with err) when err is not nil.
func (c *localCache) dropOwned(id uint64, err error) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		for ele := s.lru.Front(); ele != nil; {
			next := ele.Next()
			e := ele.Value.(*localEntry)
			if e.owner == id {
				if !e.filled && err != nil {
					e.err = err
					close(e.ch)
					c.remove(s, ele)
				} else if e.filled {
					c.remove(s, ele)
				}
			}
			ele = next
		}
		s.mu.Unlock()
	}
}
