// Package pglocal runs a private Postgres from the local binaries (initdb,
// pg_ctl) in a temp dir on a free loopback port: the one way the test stack,
// the tuning tests and the tuning proof start a server of their own. As
// root it runs them as the postgres user, since Postgres refuses root.
package pglocal

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// IncludeFile is the configuration file, inside the data directory, that
// postgresql.conf includes when it exists: Start writes its conf there.
const IncludeFile = "echosenseix.conf"

// ErrNoBinary is wrapped by Init when no Postgres binary is installed.
var ErrNoBinary = fmt.Errorf("no Postgres binaries (initdb, pg_ctl)")

// Binary finds a Postgres binary: on PATH, else the newest of Debian's
// /usr/lib/postgresql/*/bin.
func Binary(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name); len(m) > 0 {
		return m[len(m)-1], nil
	}
	return "", fmt.Errorf("%w: no %s binary", ErrNoBinary, name)
}

// Cluster is an initialised data directory in a temp dir.
type Cluster struct {
	Dir    string // the temp dir: data/, the log and the socket
	BinDir string // where initdb, pg_ctl and the client tools are
	Port   int    // the port of the last Start
}

// Init runs initdb into a new temp dir named prefix*. binDir "" takes the
// directory of Binary("initdb").
func Init(ctx context.Context, prefix, binDir string) (*Cluster, error) {
	if binDir == "" {
		initdb, err := Binary("initdb")
		if err != nil {
			return nil, err
		}
		binDir = filepath.Dir(initdb)
	}
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, fmt.Errorf("cannot create postgres dir: %w", err)
	}
	c := &Cluster{Dir: dir, BinDir: binDir}
	if err := c.chown(dir); err != nil {
		c.Remove()
		return nil, err
	}
	if out, err := c.Command(ctx, "initdb", "-D", c.data(), "-U", "postgres", "-A", "trust", "--no-sync").CombinedOutput(); err != nil {
		c.Remove()
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	f, err := os.OpenFile(filepath.Join(c.data(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString("\ninclude_if_exists = '" + IncludeFile + "'\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		c.Remove()
		return nil, fmt.Errorf("cannot write postgresql.conf: %w", err)
	}
	return c, nil
}

func (c *Cluster) data() string { return filepath.Join(c.Dir, "data") }

func (c *Cluster) chown(path string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	if out, err := exec.Command("chown", "postgres", path).CombinedOutput(); err != nil {
		return fmt.Errorf("cannot chown %s to postgres: %v: %s", path, err, out)
	}
	return nil
}

// Command is the Postgres tool name of BinDir with args, run as the
// postgres user when root.
func (c *Cluster) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	bin := filepath.Join(c.BinDir, name)
	if os.Geteuid() == 0 {
		return exec.CommandContext(ctx, "runuser", append([]string{"-u", "postgres", "--", bin}, args...)...)
	}
	return exec.CommandContext(ctx, bin, args...)
}

// Start starts the server on a free loopback port with conf as the included
// configuration file ("" = none) and settings (name=value) on the command
// line, which win over any file; it answers the DSN of the postgres
// database. An error carries the end of the server's log (a refused
// setting).
func (c *Cluster) Start(ctx context.Context, conf string, settings ...string) (string, error) {
	inc := filepath.Join(c.data(), IncludeFile)
	if err := os.WriteFile(inc, []byte(conf), 0o644); err != nil {
		return "", fmt.Errorf("cannot write %s: %w", inc, err)
	}
	if err := c.chown(inc); err != nil {
		return "", err
	}
	port, err := FreePort()
	if err != nil {
		return "", err
	}
	c.Port = port
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", port, c.Dir)
	for _, s := range settings {
		opts += " -c " + s
	}
	logf := filepath.Join(c.Dir, "log")
	_ = os.Remove(logf)
	if out, err := c.Command(ctx, "pg_ctl", "-D", c.data(), "-o", opts, "-l", logf, "-t", "60", "-w", "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(logf)
		return "", fmt.Errorf("pg_ctl start: %v: %s %s", err, out, LastLines(string(log), 5))
	}
	return c.DSN(), nil
}

// DSN of the postgres database of the last Start.
func (c *Cluster) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.Port)
}

// Stop stops the server; mode is pg_ctl's -m: fast (let sessions end) or
// immediate.
func (c *Cluster) Stop(ctx context.Context, mode string) {
	_ = c.Command(ctx, "pg_ctl", "-D", c.data(), "-m", mode, "-w", "stop").Run()
}

// Remove deletes the temp dir (stop the server first).
func (c *Cluster) Remove() { _ = os.RemoveAll(c.Dir) }

// FreePort returns a loopback port nothing listens on.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("cannot find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// LastLines joins the last n lines of s with " | ", for one-line errors.
func LastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, " | ")
}
