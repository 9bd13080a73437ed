package app

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/echosenseix/echosenseix/server/internal/singleflight"
)

// callLogPages keeps the encoded first page of GET /api/call-logs (no
// cursor, page 1) per organization, agent filter and limit, for a short TTL,
// for limits other than the default: the default-size first page (the
// dashboard's) goes through the shared Cache under callLogsKey instead,
// invalidated cluster-wide when a call lands (Service.CallLogs).
//
// Consistency: a call stored through this instance bumps its organization's
// generation before the webhook answers, so every later read here sees it
// (an entry, or a load that started, under an older generation is never
// served again). Calls stored by another instance show up here within the
// TTL (1 s by default), like analytics within AnalyticsTTL. Call logs are
// never updated or deleted, so inserts are the only change to follow.
//
// It is per process and never goes to the shared Cache: an instance's
// generations mean nothing to another one.
type callLogPages struct {
	ttl    int64 // ns; <= 0 disables
	flight singleflight.Group[[]byte]

	mu    sync.RWMutex
	epoch uint64            // bumped when gens is cleared (so no generation repeats)
	gens  map[string]uint64 // organization -> generation
	m     map[string]pageEntry
	size  int // bytes of the pages in m
}

// Bounds of callLogPages: entries (and organizations with a generation) and
// page bytes; past either, everything is dropped at once.
const (
	callLogPagesMax      = 4096
	callLogPagesMaxBytes = 32 << 20
)

type pageEntry struct {
	epoch, gen uint64
	exp        int64 // unix ns
	b          []byte
}

func newCallLogPages(ttl time.Duration) *callLogPages {
	return &callLogPages{ttl: int64(ttl), gens: map[string]uint64{}, m: map[string]pageEntry{}}
}

// pageKey names a first page.
func pageKey(org, agentID string, limit int) string {
	return org + "\x00" + agentID + "\x00" + strconv.Itoa(limit)
}

// get answers the page of key for org, loading (once for concurrent
// callers) when it is missing, expired or older than org's generation.
func (c *callLogPages) get(ctx context.Context, org, key string, load func(ctx context.Context) ([]byte, error)) ([]byte, error) {
	if c.ttl <= 0 {
		return load(ctx)
	}
	now := time.Now().UnixNano()
	c.mu.RLock()
	epoch, gen := c.epoch, c.gens[org]
	e, ok := c.m[key]
	c.mu.RUnlock()
	if ok && e.epoch == epoch && e.gen == gen && now < e.exp {
		return e.b, nil
	}
	// Callers join only a load begun under the same generation: a load that
	// started before a call landed may not see it.
	fkey := key + "\x00" + strconv.FormatUint(epoch, 10) + "." + strconv.FormatUint(gen, 10)
	b, err, _ := c.flight.DoContext(ctx, fkey, func() ([]byte, error) {
		b, err := load(context.WithoutCancel(ctx))
		if err != nil {
			return nil, err
		}
		c.put(org, key, epoch, gen, now+c.ttl, b)
		return b, nil
	})
	return b, err
}

// put stores b unless org's generation moved while it was loaded.
func (c *callLogPages) put(org, key string, epoch, gen uint64, exp int64, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != epoch || c.gens[org] != gen {
		return
	}
	if old, ok := c.m[key]; ok {
		c.size -= len(old.b)
	}
	if len(c.m) >= callLogPagesMax || c.size+len(b) > callLogPagesMaxBytes {
		clear(c.m)
		c.size = 0
	}
	c.m[key] = pageEntry{epoch: epoch, gen: gen, exp: exp, b: b}
	c.size += len(b)
}

// bump makes org's cached pages stale: call it after a call log of org was
// stored, before answering.
func (c *callLogPages) bump(org string) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.gens[org]; !ok && len(c.gens) >= callLogPagesMax {
		c.epoch++
		clear(c.gens)
		clear(c.m)
		c.size = 0
	}
	c.gens[org]++
}
