package suite_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/echosenseix/echosenseix/integration/harness"
	"github.com/echosenseix/echosenseix/internal/stack"
)

// TestReadinessWithoutDatabase: when the instance's database refuses
// connections (ALTER DATABASE ... ALLOW_CONNECTIONS false, which binds
// superusers too, and its backends terminated) /health/ready answers 503
// naming the database and /health/live stays 200; once connections are
// allowed again readiness returns to 200 on its own.
func TestReadinessWithoutDatabase(t *testing.T) {
	dsn := stack.Postgres(t)
	inst := harness.StartInstance(t, map[string]string{"DATABASE_URL": dsn})
	admin, err := stack.PostgresAdminURL()
	if err != nil {
		t.Fatal(err)
	}
	name := dbName(t, dsn)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	restored := false
	allow := func(on bool) {
		t.Helper()
		restored = on
		v := "false"
		if on {
			v = "true"
		}
		if _, err := conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{name}.Sanitize()+" ALLOW_CONNECTIONS "+v); err != nil {
			t.Fatalf("cannot set ALLOW_CONNECTIONS %s: %v", v, err)
		}
	}
	allow(false)
	defer func() {
		if !restored {
			allow(true)
		}
	}()
	if _, err := conn.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", name); err != nil {
		t.Fatalf("cannot terminate backends: %v", err)
	}
	cut := time.Now()

	c := harness.NewClient()
	deadline := cut.Add(5 * time.Second)
	for {
		r, err := c.Do("GET", inst.URL+"/health/ready", nil)
		if err != nil {
			t.Fatalf("GET /health/ready: %v", err)
		}
		if r.Status == 503 {
			var ans struct {
				Status  string   `json:"status"`
				Failing []string `json:"failing"`
			}
			if err := r.JSON(&ans); err != nil {
				t.Fatal(err)
			}
			if len(ans.Failing) != 1 || ans.Failing[0] != "database" || r.Header.Get("Retry-After") == "" {
				t.Errorf("/health/ready = %s (Retry-After %q); want failing [database] with Retry-After", r, r.Header.Get("Retry-After"))
			}
			t.Logf("/health/ready 503 %v after the database refused connections: %s", time.Since(cut).Round(time.Millisecond), r.Body)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/health/ready still %s 5s after the database refused connections", r)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r := c.Must(t, 503, "GET", inst.URL+"/health", nil); !strings.Contains(string(r.Body), `"unhealthy"`) {
		t.Errorf("/health = %s; want unhealthy", r)
	}
	c.Must(t, 200, "GET", inst.URL+"/health/live", nil)

	allow(true)
	back := time.Now()
	if err := inst.WaitReady(10 * time.Second); err != nil {
		t.Fatalf("after the database accepts connections again: %v", err)
	}
	t.Logf("/health/ready 200 again %v after the database accepted connections", time.Since(back).Round(time.Millisecond))
}

// dbName answers the database name of dsn.
func dbName(t *testing.T, dsn string) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Database
}
