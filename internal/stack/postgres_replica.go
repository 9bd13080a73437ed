package stack

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/echosenseix/echosenseix/internal/pglocal"
)

// PostgresReplica is a private Postgres primary with one streaming replica
// (pg_basebackup -R: physical replication from the primary's WAL), both
// from the local binaries (internal/pglocal) on free ports, and one
// database of the caller's on them.
type PostgresReplica struct {
	// PrimaryURL and ReplicaURL are the DSNs of the caller's database on
	// the primary and on the replica (read-only, hot standby).
	PrimaryURL, ReplicaURL string
	primary, replica       *pglocal.Cluster
}

// NewPostgresReplica starts a primary and a replica of it, stopped when tb
// ends, with a fresh database (made on the primary, replicated).
func NewPostgresReplica(tb testing.TB) *PostgresReplica {
	tb.Helper()
	r, err := startPostgresReplica()
	if err != nil {
		Unavailable(tb, "postgres replica", err.Error())
	}
	tb.Cleanup(r.Stop)
	return r
}

func startPostgresReplica() (*PostgresReplica, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	primary, err := pglocal.Init(ctx, "es-pg-primary-", "")
	if err != nil {
		return nil, err
	}
	// initdb may be a symlink on PATH: pg_basebackup sits beside its target.
	if real, err := filepath.EvalSymlinks(filepath.Join(primary.BinDir, "initdb")); err == nil {
		primary.BinDir = filepath.Dir(real)
	}
	r := &PostgresReplica{primary: primary}
	primaryAdmin, err := primary.Start(ctx, "", "fsync=off", "max_connections=300")
	if err != nil {
		primary.Remove()
		return nil, err
	}
	dir, err := os.MkdirTemp("", "es-pg-replica-")
	if err != nil {
		r.Stop()
		return nil, err
	}
	r.replica = &pglocal.Cluster{Dir: dir, BinDir: primary.BinDir}
	if os.Geteuid() == 0 {
		if out, err := exec.Command("chown", "postgres", dir).CombinedOutput(); err != nil {
			r.Stop()
			return nil, fmt.Errorf("cannot chown %s to postgres: %v: %s", dir, err, out)
		}
	}
	// initdb's pg_hba.conf lets replication in from 127.0.0.1 (trust).
	out, err := primary.Command(ctx, "pg_basebackup", "-h", "127.0.0.1", "-p", itoa(primary.Port), "-U", "postgres",
		"-D", filepath.Join(dir, "data"), "-R", "-X", "stream", "--no-sync").CombinedOutput()
	if err != nil {
		r.Stop()
		return nil, fmt.Errorf("pg_basebackup: %v: %s", err, out)
	}
	replicaAdmin, err := r.replica.Start(ctx, "", "fsync=off", "max_connections=300", "hot_standby=on", "hot_standby_feedback=on")
	if err != nil {
		r.Stop()
		return nil, err
	}
	name := "es_test_" + randomHex(6)
	if err := execOn(ctx, primaryAdmin, "CREATE DATABASE "+name); err != nil {
		r.Stop()
		return nil, err
	}
	r.PrimaryURL, r.ReplicaURL = withDB(primaryAdmin, name), withDB(replicaAdmin, name)
	// The database exists on the replica once the replica has replayed it.
	for {
		if c, err := pgx.Connect(ctx, r.ReplicaURL); err == nil {
			_ = c.Close(ctx)
			return r, nil
		}
		if ctx.Err() != nil {
			r.Stop()
			return nil, fmt.Errorf("database %s did not reach the replica in time", name)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func withDB(dsn, name string) string {
	u, _ := url.Parse(dsn)
	u.Path = "/" + name
	return u.String()
}

func execOn(ctx context.Context, dsn, sql string) error {
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("cannot connect to postgres: %w", err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}

// SetApplyDelay sets the replica's recovery_min_apply_delay (ALTER SYSTEM
// and a reload): from then on it applies each commit d after the primary
// made it; 0 applies at once.
func (r *PostgresReplica) SetApplyDelay(d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin := r.replica.DSN()
	if err := execOn(ctx, admin, fmt.Sprintf("ALTER SYSTEM SET recovery_min_apply_delay = '%dms'", d.Milliseconds())); err != nil {
		return err
	}
	if err := execOn(ctx, admin, "SELECT pg_reload_conf()"); err != nil {
		return err
	}
	want := fmt.Sprintf("%dms", d.Milliseconds())
	for ctx.Err() == nil {
		c, err := pgx.Connect(ctx, admin)
		if err == nil {
			var v string
			_ = c.QueryRow(ctx, "SELECT setting || unit FROM pg_settings WHERE name = 'recovery_min_apply_delay'").Scan(&v)
			_ = c.Close(ctx)
			if v == want || (d == 0 && v == "0ms") {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("recovery_min_apply_delay did not become %s", want)
}

// StopReplica kills the replica (pg_ctl -m immediate).
func (r *PostgresReplica) StopReplica() { r.replica.Stop(context.Background(), "immediate") }

// Stop stops both servers and removes their files.
func (r *PostgresReplica) Stop() {
	for _, c := range []*pglocal.Cluster{r.replica, r.primary} {
		if c != nil {
			c.Stop(context.Background(), "immediate")
			c.Remove()
		}
	}
}
