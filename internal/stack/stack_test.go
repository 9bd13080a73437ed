package stack_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/rueidis"

	"github.com/echosenseix/echosenseix/internal/stack"
)

func TestMain(m *testing.M) { stack.Main(m) }

func TestPostgresGivesEmptyDatabase(t *testing.T) {
	dsn := stack.Postgres(t)
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname='public'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("public tables = %d; want 0", n)
	}
}

func TestRedisServerRestart(t *testing.T) {
	s := stack.NewRedisServer(t)
	s.Stop()
	if err := s.Start(); err != nil {
		t.Fatalf("restart: %v", err)
	}
	r := stack.NewRedis(t)
	if r.Prefix == "" || r.Addr == "" {
		t.Errorf("NewRedis = %+v; want addr and prefix", r)
	}
}

func TestNewRedisDeletesItsPrefix(t *testing.T) {
	var r stack.Redis
	t.Run("inner", func(t *testing.T) {
		r = stack.NewRedis(t)
		rc, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{r.Addr}, Password: r.Password,
			SelectDB: r.DB, DisableCache: true, ForceSingleClient: true})
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		if err := rc.Do(context.Background(), rc.B().Set().Key(r.Prefix+"k").Value("v").Build()).Error(); err != nil {
			t.Fatal(err)
		}
	})
	rc, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{r.Addr}, Password: r.Password,
		SelectDB: r.DB, DisableCache: true, ForceSingleClient: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	n, err := rc.Do(context.Background(), rc.B().Exists().Key(r.Prefix+"k").Build()).AsInt64()
	if err != nil || n != 0 {
		t.Fatalf("after the test ended, EXISTS %sk = %d, %v; want 0", r.Prefix, n, err)
	}
}

func TestPostgresReplicaStreams(t *testing.T) {
	r := stack.NewPostgresReplica(t)
	ctx := context.Background()
	p, err := pgx.Connect(ctx, r.PrimaryURL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	if _, err := p.Exec(ctx, "CREATE TABLE t (n int); INSERT INTO t VALUES (42)"); err != nil {
		t.Fatal(err)
	}
	rc, err := pgx.Connect(ctx, r.ReplicaURL)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close(ctx)
	var recovery bool
	if err := rc.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&recovery); err != nil || !recovery {
		t.Fatalf("replica pg_is_in_recovery = %v, %v; want true", recovery, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := rc.QueryRow(ctx, "SELECT n FROM t").Scan(&n); err == nil && n == 42 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("row did not reach the replica within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
