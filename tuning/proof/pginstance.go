package proof

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/echosenseix/echosenseix/internal/pglocal"
)

// pgInstance is a throwaway Postgres started from the local binaries
// (internal/pglocal) on a free port, its data in a temp dir removed by stop.
type pgInstance struct {
	c    *pglocal.Cluster
	bin  string
	Port int
}

// DSN of the instance's postgres database.
func (p *pgInstance) DSN() string { return p.c.DSN() }

// pgBinDir is the directory holding initdb, pg_ctl, psql and pgbench
// together: Debian's versioned one first, else pgbench's on PATH.
func pgBinDir() (string, error) {
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pgbench"); len(m) > 0 {
		return filepath.Dir(m[len(m)-1]), nil
	}
	if p, err := exec.LookPath("pgbench"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("cannot find pgbench (Postgres binaries)")
}

// startPostgres runs initdb and starts the server on a free loopback port
// with conf as its configuration (on top of initdb's defaults; no setting
// forced on the command line, so the profile measured is conf alone).
func startPostgres(ctx context.Context, conf string) (*pgInstance, error) {
	bin, err := pgBinDir()
	if err != nil {
		return nil, err
	}
	c, err := pglocal.Init(ctx, "es-proof-pg-", bin)
	if err != nil {
		return nil, err
	}
	if _, err := c.Start(ctx, conf); err != nil {
		c.Remove()
		return nil, fmt.Errorf("cannot start postgres: %w", err)
	}
	return &pgInstance{c: c, bin: bin, Port: c.Port}, nil
}

func (p *pgInstance) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p.c.Stop(ctx, "fast")
	p.c.Remove()
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
