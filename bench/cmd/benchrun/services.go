package main

import (
	"context"
	"fmt"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/echosenseix/echosenseix/internal/stack"
)

// services are the real Postgres and Redis of the run, from the stack
// helper (environment URLs, else throwaway local servers).
type services struct {
	PGAdmin  string // admin DSN; "" when unavailable
	PGErr    error
	PGServer string // server_version
	Redis    stack.Redis
	RedisErr error
}

func getServices(ctx context.Context) services {
	var s services
	s.PGAdmin, s.PGErr = stack.PostgresAdminURL()
	if s.PGErr == nil {
		s.PGServer, s.PGErr = pgVersion(ctx, s.PGAdmin)
		if s.PGErr != nil {
			s.PGAdmin = ""
		}
	}
	s.Redis, s.RedisErr = stack.RedisBase()
	return s
}

func pgVersion(ctx context.Context, dsn string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", fmt.Errorf("cannot connect to postgres: %w", err)
	}
	defer c.Close(context.Background())
	var v, fsync, sync, buffers, conns string
	err = c.QueryRow(ctx, `SELECT current_setting('server_version'), current_setting('fsync'),
		current_setting('synchronous_commit'), current_setting('shared_buffers'), current_setting('max_connections')`).
		Scan(&v, &fsync, &sync, &buffers, &conns)
	if err != nil {
		return "", fmt.Errorf("cannot query postgres version: %w", err)
	}
	// fsync matters: group commit wins mostly by sharing one WAL flush.
	return fmt.Sprintf("%s (fsync=%s, synchronous_commit=%s, shared_buffers=%s, max_connections=%s)", v, fsync, sync, buffers, conns), nil
}

// redisURL is the redis:// URL of r.
func redisURL(r stack.Redis) string {
	u := url.URL{Scheme: "redis", Host: r.Addr, Path: "/" + strconv.Itoa(r.DB)}
	if r.Password != "" {
		u.User = url.UserPassword("", r.Password)
	}
	return u.String()
}

// toolsMissing lists the peer and ceiling tools not on PATH, with what is
// skipped without them.
func toolsMissing() []string {
	var out []string
	for _, t := range []struct{ bin, skips string }{
		{"nginx", "no nginx ceiling"}, {"wrk", "loadgen drives the GETs"},
		{"redis-benchmark", "no Redis ceiling"}, {"pgbench", "no Postgres ceiling"},
	} {
		if _, err := exec.LookPath(t.bin); err != nil {
			out = append(out, t.bin+" not installed: "+t.skips)
		}
	}
	return out
}

// missing is the one line naming what the run cannot get and what it skips
// (services first, then tools).
func (s services) missing(tools []string) string {
	var parts []string
	if s.PGErr != nil {
		parts = append(parts, fmt.Sprintf("postgres (%v): skipping webhook ingestion, pgbench and the Postgres micro benchmarks", s.PGErr))
	}
	if s.RedisErr != nil {
		parts = append(parts, fmt.Sprintf("redis (%v): skipping CACHE_PROVIDER=redis, redis-benchmark and the Redis micro benchmarks", s.RedisErr))
	}
	parts = append(parts, tools...)
	if len(parts) == 0 {
		return ""
	}
	return "unavailable: " + strings.Join(parts, "; ")
}

// childEnv is the environment of `go test` children: the services' URLs,
// CI unset so a missing service skips instead of failing.
func (s services) childEnv(base []string) []string {
	var out []string
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "CI", "DATABASE_URL", "TEST_DATABASE_URL", "REDIS_URL":
			continue
		}
		out = append(out, kv)
	}
	if s.PGAdmin != "" {
		out = append(out, "DATABASE_URL="+s.PGAdmin)
	}
	if s.RedisErr == nil {
		out = append(out, "REDIS_URL="+redisURL(s.Redis))
	}
	return out
}
