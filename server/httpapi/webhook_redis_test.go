package httpapi_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/server/redis"
)

// TestWebhookSecretNotInRedis: with the Redis cache
// (CACHE_PROVIDER=redis) a webhook is verified and stored, its agent
// mapping is in Redis, and no key or value anywhere in the Redis database
// contains the organization's signing secret.
func TestWebhookSecretNotInRedis(t *testing.T) {
	r := stack.NewRedis(t)
	rcfg := redis.Config{Addr: r.Addr, Password: r.Password, DB: r.DB, Prefix: r.Prefix}
	rc, err := redis.NewClient(rcfg)
	if err != nil {
		t.Fatalf("redis.NewClient: %v", err)
	}
	t.Cleanup(rc.Close)
	e := newEnv(t, backends[1], func(_ *httpapiConfig, d *httpapiDeps) {
		c := redis.NewCache(rc, rcfg)
		d.Deps.Cache, d.appDeps.Cache = c, c // the API (health, stats) and the use cases share it
	})
	for i, conv := range []string{"c-redis-1", "c-redis-2"} { // a miss, then a hit
		if code, body := e.webhook(e.a, postCallBody(e.a.agent.ExternalAgentID, conv, 5), time.Now()); code != 200 {
			t.Fatalf("webhook %d = %d %s; want 200", i, code, body)
		}
	}
	ctx := context.Background()
	key := r.Prefix + "cache:webhookagent:" + e.a.agent.ExternalAgentID
	v, err := rc.Do(ctx, rc.B().Get().Key(key).Build()).ToString()
	if want := e.a.org.ID + "\n" + e.a.agent.ID; err != nil || v != want {
		t.Errorf("GET %s = %q, %v; want %q (the shared cache holds the mapping)", key, v, err, want)
	}
	secret := []byte(e.a.org.WebhookSecret)
	n := 0
	for k, val := range redisContents(t, rc) {
		n++
		if bytes.Contains([]byte(k), secret) || bytes.Contains(val, secret) {
			t.Errorf("Redis key %q holds the webhook secret", k)
		}
	}
	if n == 0 {
		t.Fatalf("scanned no Redis keys; want at least the webhook agent mapping")
	}
	t.Logf("scanned %d Redis keys for the secret", n)
}

// redisContents scans every key of the database (at most 200,000) and
// returns each with its value's bytes: strings as they are, hashes, lists,
// sets and sorted sets flattened, other types as DUMP.
func redisContents(tb testing.TB, rc rueidis.Client) map[string][]byte {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out := map[string][]byte{}
	cursor := uint64(0)
	for range 200 {
		e, err := rc.Do(ctx, rc.B().Scan().Cursor(cursor).Count(1000).Build()).AsScanEntry()
		if err != nil {
			tb.Fatalf("SCAN: %v", err)
		}
		for _, k := range e.Elements {
			out[k] = redisValue(ctx, rc, k)
		}
		if cursor = e.Cursor; cursor == 0 {
			return out
		}
	}
	tb.Fatalf("more than 200,000 keys in the Redis database; refusing to scan further")
	return nil
}

func redisValue(ctx context.Context, rc rueidis.Client, k string) []byte {
	typ, _ := rc.Do(ctx, rc.B().Type().Key(k).Build()).ToString()
	var cmd rueidis.Completed
	switch typ {
	case "string":
		cmd = rc.B().Get().Key(k).Build()
	case "hash":
		cmd = rc.B().Hgetall().Key(k).Build()
	case "list":
		cmd = rc.B().Lrange().Key(k).Start(0).Stop(-1).Build()
	case "set":
		cmd = rc.B().Smembers().Key(k).Build()
	case "zset":
		cmd = rc.B().Zrange().Key(k).Min("0").Max("-1").Build()
	default:
		cmd = rc.B().Dump().Key(k).Build()
	}
	res := rc.Do(ctx, cmd)
	if s, err := res.ToString(); err == nil {
		return []byte(s)
	}
	var b []byte
	if arr, err := res.ToArray(); err == nil {
		for _, m := range arr {
			s, _ := m.ToString()
			b = append(append(b, s...), 0)
		}
	} else if m, err := res.AsStrMap(); err == nil {
		for k, v := range m {
			b = append(append(append(b, k...), 0), v...)
		}
	}
	return b
}
