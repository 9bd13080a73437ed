package postgres

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// childEnv, when set to a DSN, makes the test binary migrate that database
// and exit (the second process of TestMigrateTwoProcesses).
const childEnv = "ECHOSENSEIX_MIGRATE_CHILD_DSN"

func runChild() int {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	db, err := Open(ctx, Config{URL: os.Getenv(childEnv), MaxConns: 2, MinConns: -1})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 3
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 4
	}
	fmt.Println("child migrated")
	return 0
}

func wantSchema(t *testing.T, db *DB) {
	t.Helper()
	ms, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var n int
	if err := db.Pool().QueryRow(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil || n != len(ms) {
		t.Errorf("schema_migrations has %d rows (%v); want %d", n, err, len(ms))
	}
	for _, table := range []string{"organizations", "users", "agents", "call_logs", "call_stats", "documents"} {
		var ok bool
		if err := db.Pool().QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", table).Scan(&ok); err != nil || !ok {
			t.Errorf("table %s missing (%v)", table, err)
		}
	}
	for _, idx := range []string{"call_logs_org_created_idx", "call_logs_org_agent_created_idx", "call_logs_org_conversation_key", "agents_external_agent_id_key", "users_email_key"} {
		var ok bool
		if err := db.Pool().QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", idx).Scan(&ok); err != nil || !ok {
			t.Errorf("index %s missing (%v)", idx, err)
		}
	}
}

func TestMigrateTwice(t *testing.T) {
	db := MustOpen(t, Config{}, false)
	ctx := context.Background()
	ms, _ := Migrations()
	if n, err := db.migrate(ctx); err != nil || n != len(ms) {
		t.Fatalf("first migrate = %d, %v; want %d, nil", n, err, len(ms))
	}
	if n, err := db.migrate(ctx); err != nil || n != 0 {
		t.Fatalf("second migrate = %d, %v; want 0, nil", n, err)
	}
	wantSchema(t, db)
	// The lock is released: another session can take it at once.
	var got bool
	if err := db.Pool().QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", migrationLockKey).Scan(&got); err != nil || !got {
		t.Errorf("pg_try_advisory_lock after Migrate = %v, %v; want true", got, err)
	}
}

// TestMigrateConcurrently migrates one fresh database from four pools and a
// second process at once: all succeed and the schema is applied once.
func TestMigrateConcurrently(t *testing.T) {
	first := MustOpen(t, Config{}, false)
	dsn := first.Pool().Config().ConnString()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	child := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), childEnv+"="+dsn)
	out := make(chan error, 1)
	var childOut []byte
	go func() {
		var err error
		childOut, err = child.CombinedOutput()
		out <- err
	}()
	var wg sync.WaitGroup
	applied := make([]int, 4)
	for i := range applied {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			db := first
			if i > 0 {
				db = MustOpen(t, Config{URL: dsn}, false)
			}
			n, err := db.migrate(ctx)
			if err != nil {
				t.Errorf("migrate #%d = %v; want nil", i, err)
			}
			applied[i] = n
		}(i)
	}
	wg.Wait()
	if err := <-out; err != nil {
		t.Fatalf("child process: %v: %s", err, childOut)
	}
	total := 0
	for _, n := range applied {
		total += n
	}
	ms, _ := Migrations()
	if total > len(ms) {
		t.Errorf("in-process migrations applied %d in total; want at most %d", total, len(ms))
	}
	wantSchema(t, first)
	t.Logf("applied per pool %v; child said %q", applied, childOut)
}
