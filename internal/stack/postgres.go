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

// startLocalPostgres runs initdb and pg_ctl in a temp dir on a free port. As
// root it runs them as the "postgres" user, since Postgres refuses root.
func startLocalPostgres() (string, error) {
	pg, err := initLocalPostgres()
	if err != nil {
		return "", err
	}
	stops = append(stops, pg.remove)
	return pg.URL(), nil
}

// localPostgres is a Postgres server of the local binaries in its own temp
// dir on a free port.
type localPostgres struct {
	bin  string // directory of initdb, pg_ctl, pg_basebackup
	dir  string
	data string
	port int
	opts string // extra server options
}

// URL is the admin DSN of the server's postgres database.
func (pg *localPostgres) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", pg.port)
}

// asUser runs name as the postgres user when this process is root.
func asUser(name string, args ...string) *exec.Cmd {
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
	}
	return exec.Command(name, args...)
}

// newLocalDir makes a temp dir the postgres user owns.
func newLocalDir() (string, error) {
	dir, err := os.MkdirTemp("", "es-pg-")
	if err != nil {
		return "", err
	}
	if os.Geteuid() == 0 {
		if err := exec.Command("chown", "postgres", dir).Run(); err != nil {
			return "", fmt.Errorf("cannot chown %s to postgres: %w", dir, err)
		}
	}
	return dir, nil
}

// initLocalPostgres runs initdb (trust, replication allowed from
// 127.0.0.1, which initdb's pg_hba.conf has) and starts the server.
func initLocalPostgres() (*localPostgres, error) {
	initdb, err := findPGBinary("initdb")
	if err != nil {
		return nil, err
	}
	dir, err := newLocalDir()
	if err != nil {
		return nil, err
	}
	// initdb may be a symlink on PATH: its siblings (pg_basebackup) sit
	// beside the file it points to.
	if real, err := filepath.EvalSymlinks(initdb); err == nil {
		initdb = real
	}
	pg := &localPostgres{bin: filepath.Dir(initdb), dir: dir, data: filepath.Join(dir, "data"), port: freePort()}
	if out, err := asUser(initdb, "-D", pg.data, "-U", "postgres", "-A", "trust", "--no-sync").CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	if err := pg.start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return pg, nil
}

// start starts the server and waits until it accepts connections.
func (pg *localPostgres) start() error {
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300 %s", pg.port, pg.dir, pg.opts)
	if out, err := asUser(filepath.Join(pg.bin, "pg_ctl"), "-D", pg.data, "-o", opts, "-l", filepath.Join(pg.dir, "log"), "-w", "start").CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl start: %v: %s", err, out)
	}
	return nil
}

// stop stops the server at once (pg_ctl -m immediate: like a crash).
func (pg *localPostgres) stop() {
	_ = asUser(filepath.Join(pg.bin, "pg_ctl"), "-D", pg.data, "-m", "immediate", "stop").Run()
}

// remove stops the server and deletes its files.
func (pg *localPostgres) remove() { pg.stop(); _ = os.RemoveAll(pg.dir) }

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
