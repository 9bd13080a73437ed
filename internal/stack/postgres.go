package stack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
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
		src, pgErr = choose(env, probes{docker: dockerAnswers, binary: func() error { _, err := findPGBinary("initdb"); return err }})
		switch src {
		case FromEnv:
			pgAdmin = env
		case FromContainer:
			pgAdmin, pgErr = startPostgresContainer()
		case FromBinary:
			var s *PostgresServer
			if s, pgErr = startPostgresServer(); pgErr == nil {
				pgAdmin = s.AdminURL
				stops = append(stops, s.Remove)
			}
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

// PostgresServer is a private Postgres cluster (initdb in a temp dir, on a
// free port), for tests that stop and restart the database. As root it runs
// as the "postgres" user, since Postgres refuses root.
type PostgresServer struct {
	AdminURL string // superuser DSN of the "postgres" database
	port     int
	dir      string
	pgctl    string
	mu       sync.Mutex
	running  bool
}

// NewPostgresServer starts a private Postgres from the local binaries,
// removed when tb ends. Use CreateDatabase on its AdminURL.
func NewPostgresServer(tb testing.TB) *PostgresServer {
	tb.Helper()
	s, err := startPostgresServer()
	if err != nil {
		Unavailable(tb, "postgres binaries", err.Error())
	}
	tb.Cleanup(s.Remove)
	return s
}

func startPostgresServer() (*PostgresServer, error) {
	initdb, err := findPGBinary("initdb")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "es-pg-")
	if err != nil {
		return nil, err
	}
	s := &PostgresServer{port: freePort(), dir: dir, pgctl: filepath.Join(filepath.Dir(initdb), "pg_ctl")}
	s.AdminURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
	if os.Geteuid() == 0 {
		if err := exec.Command("chown", "postgres", dir).Run(); err != nil {
			_ = os.RemoveAll(dir)
			return nil, fmt.Errorf("cannot chown %s to postgres: %w", dir, err)
		}
	}
	if out, err := asPostgres(initdb, "-D", s.data(), "-U", "postgres", "-A", "trust", "--no-sync").CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	if err := s.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

func asPostgres(name string, args ...string) *exec.Cmd {
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
	}
	return exec.Command(name, args...)
}

func (s *PostgresServer) data() string { return filepath.Join(s.dir, "data") }

// Start (re)starts the server on its port and waits until it accepts
// connections.
func (s *PostgresServer) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300", s.port, s.dir)
	if out, err := asPostgres(s.pgctl, "-D", s.data(), "-o", opts, "-l", filepath.Join(s.dir, "log"), "-w", "start").CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl start: %v: %s", err, out)
	}
	s.running = true
	return nil
}

// Stop stops the server at once (pg_ctl -m immediate: every connection is
// cut, as in a crash) and waits until it is gone.
func (s *PostgresServer) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		return nil
	}
	s.running = false
	if out, err := asPostgres(s.pgctl, "-D", s.data(), "-m", "immediate", "-w", "stop").CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, out)
	}
	return nil
}

// Remove stops the server and deletes its files.
func (s *PostgresServer) Remove() {
	_ = s.Stop()
	_ = os.RemoveAll(s.dir)
}

func findPGBinary(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(matches) > 0 {
		return matches[len(matches)-1], nil
	}
	return "", fmt.Errorf("no DATABASE_URL and no %s binary", name)
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("BUG: cannot find a free port: " + err.Error())
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
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
