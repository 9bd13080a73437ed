package redis_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/redis"
)

// Hot path budget: a lookup of a session cached on this instance makes no
// round trip and one allocation (the caller's copy of the session).

const benchSessions = 1024

// benchSessionIDs creates benchSessions sessions in st and answers their ids.
func benchSessionIDs(b *testing.B, st *redis.SessionStore) []string {
	b.Helper()
	ids := make([]string, benchSessions)
	for i := range ids {
		ids[i] = fmt.Sprintf("bench-session-%08d-abcdefghijklmnop", i)
		s := &server.Session{ID: ids[i], UserID: "user-" + ids[i], OrganizationID: "org-1"}
		if err := st.CreateSession(context.Background(), s); err != nil {
			b.Fatal(err)
		}
	}
	return ids
}

// BenchmarkSessionLookup compares a lookup served from the client-side
// cache (local-hit) with a round trip per lookup: a GET on a client
// without client-side caching (round-trip), and the GETEX the store used
// before (getex: the same command and decoding, without the store).
func BenchmarkSessionLookup(b *testing.B) {
	cfg := testConfig(b)
	cfg.ReadTimeout = 5 * time.Second // a loaded machine must not fail the run
	st := redis.NewSessionStore(mustClient(b, cfg), cfg, time.Hour)
	ids := benchSessionIDs(b, st)
	for _, id := range ids {
		st.WaitWriteWindow(b, id) // past the write window: lookups may cache
	}
	for _, id := range ids {
		if _, err := st.Session(context.Background(), id); err != nil {
			b.Fatal(err)
		}
	}
	ncfg := cfg
	ncfg.DisableLocalCache = true
	rc := mustClient(b, ncfg)
	rt := redis.NewSessionStore(rc, ncfg, time.Hour)

	b.Run("local-hit", func(b *testing.B) { benchLookups(b, st, ids) })
	b.Run("local-hit-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			ctx := context.Background()
			for i := 0; pb.Next(); i++ {
				if _, err := st.Session(ctx, ids[i%len(ids)]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("round-trip", func(b *testing.B) { benchLookups(b, rt, ids) })
	b.Run("getex", func(b *testing.B) {
		b.ReportAllocs()
		ctx := context.Background()
		i := 0
		for b.Loop() {
			cmd := rc.B().Getex().Key(cfg.Prefix + "session:" + ids[i%len(ids)]).PxMilliseconds(time.Hour.Milliseconds()).Build()
			v, err := rc.Do(ctx, cmd).AsBytes()
			if err != nil {
				b.Fatal(err)
			}
			var s server.Session
			if err := json.Unmarshal(v, &s); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

func benchLookups(b *testing.B, st *redis.SessionStore, ids []string) {
	b.ReportAllocs()
	ctx := context.Background()
	i := 0
	for b.Loop() {
		if _, err := st.Session(ctx, ids[i%len(ids)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
