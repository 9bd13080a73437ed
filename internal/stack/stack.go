// Package stack provides real Postgres, Redis, RabbitMQ and NATS to tests,
// benchmarks and load runs, in this order: URLs from the environment
// (DATABASE_URL or TEST_DATABASE_URL; REDIS_URL or REDIS_HOST/REDIS_PORT;
// RABBITMQ_URL; NATS_URL), then Postgres and Redis containers
// (testcontainers-go's postgres and redis modules) when a Docker engine
// answers its health check, then throwaway Postgres and Redis started from
// local binaries (initdb/pg_ctl, redis-server) in a temp dir on free ports,
// and the brokers' local default ports. When none is possible it skips with
// one line, except under CI=true where a missing service is a failure.
// Whatever it started is stopped by StopAll.
//
// Every Postgres caller gets a database of its own, dropped at cleanup; every
// Redis caller gets a unique key prefix (or a private server from
// NewRedisServer, and a private Postgres from NewPostgresServer, when the
// test must stop and restart it); broker callers use unique names
// (UniqueName) and delete them, or a private broker from NewRabbitMQServer /
// NewNATSServer to kill and restart.
package stack

import (
	"os"
	"os/exec"
	"testing"
)

// Unavailable skips tb with reason, or fails it under CI=true, where a
// missing service, tool or privilege is a failure, never a skip. Every
// suite that needs something from the machine says so through here.
func Unavailable(tb testing.TB, what, reason string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s unavailable under CI=true: %s", what, reason)
	}
	tb.Skipf("%s unavailable (%s); skipping", what, reason)
}

// Tool returns the path of the command name, or is Unavailable naming the
// Debian package pkg that provides it (.ci/run installs it).
func Tool(tb testing.TB, name, pkg string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Unavailable(tb, name, "install the Debian package "+pkg+": "+err.Error())
	}
	return p
}
