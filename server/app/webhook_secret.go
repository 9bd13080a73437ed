package app

import (
	"context"
	"sync"
	"time"

	"github.com/echosenseix/echosenseix/server/internal/fasttime"
	"github.com/echosenseix/echosenseix/server/internal/singleflight"
)

// secretCache keeps organizations' webhook signing secrets in this
// process's memory only, never in the shared cache.
//
// Why this and not a digest or an encrypted copy in Redis: the signature is
// HMAC-SHA256(secret, "t.body"), so verifying it needs the secret itself; a
// digest of the secret verifies nothing. An encrypted copy in Redis would
// need a key that every instance holds in its configuration, so whoever can
// read both the configuration and Redis gets every secret, and a leaked or
// never-rotated key turns every Redis dump, replica or backup into a list of
// secrets. Kept in process memory, the secret is where the server must have
// it anyway (it reads it from Postgres) and nowhere else: Redis holds only
// the non-secret agent -> organization mapping (extagent:<id>). The cost is
// one Organization read per organization, per process, per TTL.
//
// An organization's secret does not change today (there is no rotation
// route). A rotation must delete the entry on its instance; the TTL bounds
// how long other instances verify with the old secret.
type secretCache struct {
	ttl    int64 // ns
	mu     sync.RWMutex
	m      map[string]secretEntry
	flight singleflight.Group[[]byte]
}

type secretEntry struct {
	secret []byte
	exp    int64 // unix ns
}

// secretCacheMaxLen bounds the entries; past it the map is cleared (each
// organization then costs one more read).
const secretCacheMaxLen = 1 << 16

func newSecretCache(ttl time.Duration) *secretCache {
	fasttime.Start()
	return &secretCache{ttl: int64(ttl), m: make(map[string]secretEntry)}
}

// lookup returns orgID's secret when held and fresh.
func (c *secretCache) lookup(orgID string) ([]byte, bool) {
	c.mu.RLock()
	e, ok := c.m[orgID]
	c.mu.RUnlock()
	if !ok || fasttime.UnixNano() >= e.exp {
		return nil, false
	}
	return e.secret, true
}

// fill loads orgID's secret after a miss (concurrent misses of one
// organization share one load) and keeps it for the TTL. A load error is
// not kept.
func (c *secretCache) fill(orgID string, load func() ([]byte, error)) ([]byte, error) {
	secret, err, _ := c.flight.Do(orgID, load)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.m) >= secretCacheMaxLen {
		clear(c.m)
	}
	c.m[orgID] = secretEntry{secret: secret, exp: time.Now().UnixNano() + c.ttl}
	c.mu.Unlock()
	return secret, nil
}

// loadSecret reads orgID's webhook secret from the organization store; an
// organization without one accepts no webhook (an empty HMAC key is no
// secret).
func (s *Service) loadSecret(ctx context.Context, orgID string) func() ([]byte, error) {
	return func() ([]byte, error) {
		sctx, cancel := s.storeCtx(context.WithoutCancel(ctx))
		defer cancel()
		o, err := s.d.Orgs.Organization(sctx, orgID)
		if err != nil {
			return nil, err
		}
		return []byte(o.WebhookSecret), nil
	}
}
