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
// Postgres: from TEST_DATABASE_URL / DATABASE_URL, else a container when a
// Docker engine answers, else a throwaway server started from local
// binaries; either lives for the whole test binary (see StopAll).
func PostgresAdminURL() (string, error) {
	pgOnce.Do(func() {
		env := firstEnv("TEST_DATABASE_URL", "DATABASE_URL")
		var src Source
		src, pgErr = choose(env, probes{docker: dockerAnswers, binary: func() error { _, err := pglocal.Binary("initdb"); return err }})
		switch src {
		case FromEnv:
			pgAdmin = env
		case FromContainer:
			pgAdmin, pgErr = startPostgresContainer()
		case FromBinary:
			pgAdmin, pgErr = startLocalPostgres()
		}
	})
	return pgAdmin, pgErr
}

// firstEnv answers the first of the variables that is set and not empty.
func firstEnv(names ...string) string {
	for _, k := range names {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return ""
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

// PostgresServer is a private Postgres cluster (internal/pglocal: initdb in
// a temp dir) on a port of its own that it keeps across restarts, for tests
// that stop and restart the database.
type PostgresServer struct {
	AdminURL string // superuser DSN of the "postgres" database
	port     int
	c        *pglocal.Cluster
	mu       sync.Mutex
	running  bool
}

// NewPostgresServer starts a private Postgres from the local binaries,
// removed when tb ends. Use CreateDatabase on its AdminURL.
func NewPostgresServer(tb testing.TB) *PostgresServer {
	tb.Helper()
	c, err := pglocal.Init(context.Background(), "es-pg-", "")
	if err != nil {
		Unavailable(tb, "postgres binaries", err.Error())
	}
	s := &PostgresServer{port: freePort(), c: c}
	s.AdminURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
	tb.Cleanup(s.Remove)
	if err := s.Start(); err != nil {
		tb.Fatal(err)
	}
	return s
}

// Start (re)starts the server on its port and waits until it accepts
// connections.
func (s *PostgresServer) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.c.Start(context.Background(), "", "fsync=off", "max_connections=300", "port="+itoa(s.port)); err != nil {
		return err
	}
	s.running = true
	return nil
}

// Stop stops the server at once (pg_ctl -m immediate: every connection is
// cut, as in a crash) and waits until it is gone.
func (s *PostgresServer) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		s.running = false
		s.c.Stop(context.Background(), "immediate")
	}
	return nil
}

// Remove stops the server and deletes its files.
func (s *PostgresServer) Remove() {
	_ = s.Stop()
	s.c.Remove()
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
