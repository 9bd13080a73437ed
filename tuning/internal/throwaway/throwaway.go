// Package throwaway starts private Postgres (internal/pglocal, as the stack
// helper does) and Redis servers from the local binaries with a given
// configuration file, on free loopback ports, for the tuning tests: a
// configuration is accepted when the server starts with it. It fails (never
// skips) when a binary is missing under CI=true.
package throwaway

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/pglocal"
	"github.com/echosenseix/echosenseix/internal/stack"
)

// FreePort returns a loopback port nothing listens on.
func FreePort(tb testing.TB) int {
	tb.Helper()
	p, err := pglocal.FreePort()
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// Postgres is an initialised data directory that can be started with a
// configuration fragment (included from postgresql.conf).
type Postgres struct{ c *pglocal.Cluster }

// NewPostgres runs initdb in a temp dir, removed when tb ends.
func NewPostgres(tb testing.TB) *Postgres {
	tb.Helper()
	c, err := pglocal.Init(context.Background(), "tune-pg-", "")
	if errors.Is(err, pglocal.ErrNoBinary) {
		stack.Unavailable(tb, "postgres", err.Error())
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Remove)
	return &Postgres{c: c}
}

// Start starts the server with fragment as its included configuration and
// returns its DSN; an error carries the server log (a refused setting).
// The server is stopped when tb ends or by the returned stop.
func (p *Postgres) Start(tb testing.TB, fragment string) (dsn string, stop func(), err error) {
	tb.Helper()
	dsn, err = p.c.Start(context.Background(), fragment, "fsync=off")
	if err != nil {
		return "", func() {}, err
	}
	stop = func() { p.c.Stop(context.Background(), "fast") }
	tb.Cleanup(stop)
	return dsn, stop, nil
}

// StartRedis starts redis-server with confPath on a free port, nothing kept
// on disk, and returns its address; an error carries Redis's own message.
func StartRedis(tb testing.TB, confPath string) (string, error) {
	tb.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		stack.Unavailable(tb, "redis-server", err.Error())
	}
	port := FreePort(tb)
	dir := tb.TempDir()
	cmd := exec.Command("redis-server", confPath, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--protected-mode", "no", "--dir", dir, "--logfile", filepath.Join(dir, "log"))
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("cannot start redis-server: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tb.Cleanup(func() { _ = cmd.Process.Kill(); <-done })
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			done <- err
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			return "", fmt.Errorf("redis-server exited: %v: %s %s", err, stderr.String(), pglocal.LastLines(string(log), 5))
		default:
		}
		if ping(addr) == nil {
			return addr, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "", fmt.Errorf("redis-server on %s did not answer within 10s", addr)
}

func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("no PONG: %q %v", line, err)
	}
	return nil
}
