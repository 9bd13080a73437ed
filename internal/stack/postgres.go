package stack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/echosenseix/echosenseix/internal/pglocal"
)

var (
	pgOnce  sync.Once
	pgAdmin string // admin DSN of the server used by this process
	pgErr   error
)

// PostgresAdminURL returns an admin DSN (may CREATE DATABASE) of a real
// Postgres: from DATABASE_URL / TEST_DATABASE_URL, else a throwaway server
// started from local binaries that lives for the whole test binary (see
// StopAll).
func PostgresAdminURL() (string, error) {
	pgOnce.Do(func() {
		for _, k := range []string{"TEST_DATABASE_URL", "DATABASE_URL"} {
			if v := os.Getenv(k); v != "" {
				pgAdmin = v
				return
			}
		}
		pgAdmin, pgErr = startLocalPostgres()
	})
	return pgAdmin, pgErr
}

// Postgres returns the DSN of a fresh, empty database on a real Postgres,
// dropped when tb ends.
func Postgres(tb testing.TB) string {
	tb.Helper()
	admin, err := PostgresAdminURL()
	if err != nil {
		Unavailable(tb, "postgres", err.Error())
	}
	dsn, drop, err := CreateDatabase(context.Background(), admin)
	if err != nil {
		Unavailable(tb, "postgres", err.Error())
	}
	tb.Cleanup(drop)
	return dsn
}

// CreateDatabase creates a uniquely named database on the server of admin
// and returns its DSN and a function that drops it.
func CreateDatabase(ctx context.Context, admin string) (dsn string, drop func(), err error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", nil, fmt.Errorf("cannot connect to postgres: %w", err)
	}
	defer conn.Close(context.Background())
	name := "es_test_" + randomHex(6)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("cannot create database: %w", err)
	}
	u, err := url.Parse(admin)
	if err != nil {
		return "", nil, fmt.Errorf("cannot parse postgres url: %w", err)
	}
	u.Path = "/" + name
	drop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}
	return u.String(), drop, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// startLocalPostgres starts a throwaway server from the local binaries
// (internal/pglocal), fsync off, stopped by StopAll.
func startLocalPostgres() (string, error) {
	ctx := context.Background()
	c, err := pglocal.Init(ctx, "es-pg-", "")
	if errors.Is(err, pglocal.ErrNoBinary) {
		return "", fmt.Errorf("no DATABASE_URL and %w", err)
	}
	if err != nil {
		return "", err
	}
	dsn, err := c.Start(ctx, "", "fsync=off", "max_connections=300")
	if err != nil {
		c.Remove()
		return "", err
	}
	stops = append(stops, func() { c.Stop(ctx, "immediate"); c.Remove() })
	return dsn, nil
}

var stops []func()

// StopAll stops the throwaway servers this process started. Call it from
// TestMain after m.Run (servers are otherwise left to die with the temp dir).
func StopAll() {
	for _, f := range stops {
		f()
	}
	stops = nil
}

// Itoa is strconv.Itoa, for callers building addresses.
func itoa(n int) string { return strconv.Itoa(n) }

// freePort is pglocal.FreePort for starters that cannot go on without one.
func freePort() int {
	p, err := pglocal.FreePort()
	if err != nil {
		panic("BUG: " + err.Error())
	}
	return p
}
