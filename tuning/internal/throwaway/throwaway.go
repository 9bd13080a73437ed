// Package throwaway starts private Postgres and Redis servers from the local
// binaries with a given configuration file, on free loopback ports, for the
// tuning tests: a configuration is accepted when the server starts with it.
// Like the stack helper, it runs Postgres as the postgres user when root, and
// fails (never skips) when a binary is missing under CI=true.
package throwaway

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/stack"
)

// FreePort returns a loopback port nothing listens on.
func FreePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("cannot find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func pgBinary(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(m) == 0 {
		return "", fmt.Errorf("no %s binary", name)
	}
	return m[len(m)-1], nil
}

// Postgres is an initialised data directory that can be started with a
// configuration fragment (included from postgresql.conf).
type Postgres struct {
	dir, data, pgctl string
}

func asPostgres(name string, args ...string) *exec.Cmd {
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
	}
	return exec.Command(name, args...)
}

// NewPostgres runs initdb in a temp dir, removed when tb ends.
func NewPostgres(tb testing.TB) *Postgres {
	tb.Helper()
	initdb, err := pgBinary("initdb")
	if err != nil {
		stack.Unavailable(tb, "postgres", err.Error())
	}
	dir, err := os.MkdirTemp("", "tune-pg-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		if out, err := exec.Command("chown", "postgres", dir).CombinedOutput(); err != nil {
			tb.Fatalf("cannot chown %s: %v: %s", dir, err, out)
		}
	}
	p := &Postgres{dir: dir, data: filepath.Join(dir, "data"), pgctl: filepath.Join(filepath.Dir(initdb), "pg_ctl")}
	if out, err := asPostgres(initdb, "-D", p.data, "-U", "postgres", "-A", "trust", "--no-sync").CombinedOutput(); err != nil {
		tb.Fatalf("initdb: %v: %s", err, out)
	}
	conf := filepath.Join(p.data, "postgresql.conf")
	f, err := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	_, err = f.WriteString("\ninclude_if_exists = 'echosenseix.conf'\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// Start starts the server with fragment as its included configuration and
// returns its DSN; an error carries the server log (a refused setting).
// The server is stopped when tb ends or by the returned stop.
func (p *Postgres) Start(tb testing.TB, fragment string) (dsn string, stop func(), err error) {
	tb.Helper()
	frag := filepath.Join(p.data, "echosenseix.conf")
	if err := os.WriteFile(frag, []byte(fragment), 0o644); err != nil {
		tb.Fatal(err)
	}
	if os.Geteuid() == 0 {
		_ = exec.Command("chown", "postgres", frag).Run()
	}
	port := FreePort(tb)
	logf := filepath.Join(p.dir, "log")
	_ = os.Remove(logf)
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", port, p.dir)
	out, err := asPostgres(p.pgctl, "-D", p.data, "-o", opts, "-l", logf, "-t", "60", "-w", "start").CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(logf)
		return "", func() {}, fmt.Errorf("pg_ctl start: %v: %s %s", err, out, lastLines(string(log), 5))
	}
	stop = func() { _ = asPostgres(p.pgctl, "-D", p.data, "-m", "fast", "-w", "stop").Run() }
	tb.Cleanup(stop)
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port), stop, nil
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, " | ")
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
			return "", fmt.Errorf("redis-server exited: %v: %s %s", err, stderr.String(), lastLines(string(log), 5))
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
