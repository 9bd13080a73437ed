package tuning

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/rueidis"

	"github.com/echosenseix/echosenseix/tuning/internal/throwaway"
)

func fileOf(tb testing.TB, pl Plan, kind string) File {
	tb.Helper()
	for _, f := range pl.Files {
		if f.Kind == kind {
			return f
		}
	}
	tb.Fatalf("%s: no %s file", pl.Profile.Name(), kind)
	return File{}
}

// TestPostgresConfAccepted starts a throwaway Postgres with every
// postgresql.conf fragment the plans write (reference hosts and this host)
// and checks the running server shows each value.
func TestPostgresConfAccepted(t *testing.T) {
	this, err := ThisHost()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		tier string
		h    Host
	}{{"1k", ref16}, {"10k", ref16}, {"100k", ref16}, {"10k", ref2}, {"10k", this}}
	pg := throwaway.NewPostgres(t)
	if _, stop, err := pg.Start(t, "shared_buffers = 'lots'\n"); err == nil {
		stop()
		t.Fatal("Postgres started with shared_buffers = 'lots'; want the harness to see a refused fragment")
	}
	for _, c := range cases {
		pl := mustPlan(t, c.tier, "postgres", c.h, "")
		dsn, stop, err := pg.Start(t, fileOf(t, pl, KindPostgres).Content)
		if err != nil {
			t.Fatalf("%s on %dMiB/%d/%s: Postgres refused the fragment: %v", c.tier, c.h.RAM>>20, c.h.CPUs, c.h.Storage, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		rep, err := Check(ctx, pl, System{Postgres: conn})
		_ = conn.Close(ctx)
		cancel()
		stop()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rep.Results {
			if r.Status != StatusOK {
				t.Errorf("%s on %dMiB: %s got %s (live %q, want %q)", c.tier, c.h.RAM>>20, r.ID, r.Status, r.Live, r.Want)
			}
		}
	}
}

// TestRedisConfAccepted starts a throwaway redis-server with every redis.conf
// fragment (each tier, cache and queue) and checks it shows each value.
func TestRedisConfAccepted(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.conf")
	if err := os.WriteFile(bad, []byte("maxmemory-policy sometimes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := throwaway.StartRedis(t, bad); err == nil {
		t.Fatal("redis-server started with maxmemory-policy sometimes; want the harness to see a refused fragment")
	}
	for _, tier := range Tiers {
		for _, use := range []string{"cache", "queue"} {
			h := ref16
			h.RedisUse = use
			pl := mustPlan(t, tier, "redis", h, "redis")
			conf := filepath.Join(t.TempDir(), "redis.conf")
			if err := os.WriteFile(conf, []byte(fileOf(t, pl, KindRedis).Content), 0o644); err != nil {
				t.Fatal(err)
			}
			addr, err := throwaway.StartRedis(t, conf)
			if err != nil {
				t.Fatalf("%s %s: redis-server refused the fragment: %v", tier, use, err)
			}
			client, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, DisableCache: true})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			rep, err := Check(ctx, pl, System{Redis: client})
			cancel()
			client.Close()
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rep.Results {
				if r.Status != StatusOK {
					t.Errorf("%s %s: %s got %s (live %q, want %q)", tier, use, r.ID, r.Status, r.Live, r.Want)
				}
			}
		}
	}
}
