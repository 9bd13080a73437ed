package proof

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// pgInstance is a throwaway Postgres started from the local binaries on a
// free port, its data in a temp dir removed by stop.
type pgInstance struct {
	bin, dir string
	Port     int
}

// DSN of the instance's postgres database.
func (p *pgInstance) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.Port)
}

// pgBinDir is the directory holding initdb, pg_ctl, psql and pgbench
// together: Debian's versioned one first, else initdb's on PATH.
func pgBinDir() (string, error) {
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pgbench"); len(m) > 0 {
		return filepath.Dir(m[len(m)-1]), nil
	}
	if p, err := exec.LookPath("pgbench"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("cannot find pgbench (Postgres binaries)")
}

// asPostgres runs a Postgres binary as the postgres user when root (the
// server refuses root).
func asPostgres(ctx context.Context, name string, args ...string) *exec.Cmd {
	if os.Geteuid() == 0 {
		return exec.CommandContext(ctx, "runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
	}
	return exec.CommandContext(ctx, name, args...)
}

// startPostgres runs initdb, appends conf to postgresql.conf and starts
// the server on a free loopback port.
func startPostgres(ctx context.Context, conf string) (*pgInstance, error) {
	bin, err := pgBinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "es-proof-pg-")
	if err != nil {
		return nil, fmt.Errorf("cannot create postgres dir: %w", err)
	}
	p := &pgInstance{bin: bin, dir: dir}
	if os.Geteuid() == 0 {
		if out, err := exec.Command("chown", "postgres", dir).CombinedOutput(); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("cannot chown %s: %v: %s", dir, err, out)
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := asPostgres(ctx, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("cannot initdb: %v: %s", err, out)
	}
	if p.Port, err = freePort(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	base := fmt.Sprintf("\nport = %d\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\n", p.Port, dir)
	f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString(base + conf)
		f.Close()
	}
	if err != nil {
		p.stop()
		return nil, fmt.Errorf("cannot write postgresql.conf: %w", err)
	}
	if out, err := asPostgres(ctx, filepath.Join(bin, "pg_ctl"), "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		p.stop()
		return nil, fmt.Errorf("cannot start postgres: %v: %s %s", err, out, lastLine(string(log)))
	}
	return p, nil
}

func (p *pgInstance) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = asPostgres(ctx, filepath.Join(p.bin, "pg_ctl"), "-D", filepath.Join(p.dir, "data"), "-m", "fast", "stop").Run()
	os.RemoveAll(p.dir)
}

// show answers SHOW name on the instance.
func (p *pgInstance) show(ctx context.Context, name string) string {
	out, err := exec.CommandContext(ctx, filepath.Join(p.bin, "psql"), "-h", "127.0.0.1", "-p", strconv.Itoa(p.Port), "-U", "postgres",
		"-Atc", "SHOW "+name, "postgres").Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("cannot find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
