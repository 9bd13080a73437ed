package stack_test

import (
	"context"
	"os"
	"testing"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) {
	code := m.Run()
	stack.StopAll()
	os.Exit(code)
}

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
