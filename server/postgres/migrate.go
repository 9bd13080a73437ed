package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLockKey is the pg_advisory_lock key every instance takes while
// migrating ("echosnsx" in ASCII).
const migrationLockKey int64 = 0x6563686f736e7378

// Migration is one embedded SQL file, numbered by its name's prefix
// (0001_init.sql is version 1).
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the embedded migrations in version order.
func Migrations() ([]Migration, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("cannot list migrations: %w", err)
	}
	var ms []Migration
	for _, path := range names {
		name := strings.TrimPrefix(path, "migrations/")
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("cannot parse migration version of %q", name)
		}
		body, err := migrationFS.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("cannot read migration %s: %w", name, err)
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("two migrations numbered %d", ms[i].Version)
		}
	}
	return ms, nil
}

// Migrate applies the embedded migrations not yet recorded in
// schema_migrations, each in its own transaction, while holding a session
// advisory lock on a dedicated connection: any number of instances may call
// it at once; one applies, the others wait and then find nothing to do.
func (db *DB) Migrate(ctx context.Context) error {
	_, err := db.migrate(ctx)
	return err
}

// migrate is Migrate answering how many migrations it applied.
func (db *DB) migrate(ctx context.Context) (applied int, err error) {
	ms, err := Migrations()
	if err != nil {
		return 0, err
	}
	c, err := db.acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer c.Release()
	// Migrations may run longer than the pool's statement_timeout.
	if _, err := c.Exec(ctx, "SET statement_timeout = 0"); err != nil {
		return 0, dbError(err, "disable statement timeout")
	}
	if _, err := c.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLockKey); err != nil {
		return 0, dbError(err, "take migration lock")
	}
	defer unlock(c)
	if _, err := c.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return 0, dbError(err, "create schema_migrations")
	}
	done, err := appliedVersions(ctx, c)
	if err != nil {
		return 0, err
	}
	for _, m := range ms {
		if done[m.Version] {
			continue
		}
		if err := apply(ctx, c, m); err != nil {
			return applied, err
		}
		applied++
	}
	return applied, nil
}

func appliedVersions(ctx context.Context, c *pgxpool.Conn) (map[int]bool, error) {
	rows, err := c.Query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, dbError(err, "read schema_migrations")
	}
	vs, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil, dbError(err, "read schema_migrations")
	}
	done := make(map[int]bool, len(vs))
	for _, v := range vs {
		done[int(v)] = true
	}
	return done, nil
}

func apply(ctx context.Context, c *pgxpool.Conn, m Migration) error {
	err := pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, m.SQL); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name)
		return err
	})
	if err != nil {
		return dbError(err, "apply migration "+m.Name)
	}
	return nil
}

// unlock releases the advisory lock and restores the session's settings;
// when that fails the connection is closed, which releases the lock too.
func unlock(c *pgxpool.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.Exec(ctx, "SELECT pg_advisory_unlock($1)", migrationLockKey)
	if err == nil {
		_, err = c.Exec(ctx, "RESET statement_timeout")
	}
	if err != nil {
		_ = c.Conn().Close(ctx)
	}
}
