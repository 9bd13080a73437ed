package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

func TestConfigDefaults(t *testing.T) {
	cfg, err := loadConfig(map[string]string{})
	if err != nil {
		t.Fatalf("loadConfig(empty) = %v; want nil", err)
	}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"PORT", cfg.HTTP.Port, 5000},
		{"CLUSTER_ENABLED", cfg.Cluster.Enabled, DefaultClusterEnabled},
		{"CLUSTER_WORKERS", cfg.Cluster.Workers, "auto"},
		{"CLUSTER_RESTART_DELAY", cfg.Cluster.RestartDelay.D(), time.Second},
		{"CLUSTER_MAX_RESTARTS", cfg.Cluster.MaxRestarts, 10},
		{"CLUSTER_SHUTDOWN_TIMEOUT", cfg.Cluster.ShutdownTimeout.D(), 30 * time.Second},
		{"CLUSTER_LISTEN_MODE", cfg.Cluster.ListenMode, "shared"},
		{"CACHE_PROVIDER", cfg.Cache.Provider, "memory"},
		{"CACHE_TTL", cfg.Cache.TTL.D(), server.DefaultCacheTTL},
		{"SESSION_TTL", cfg.Session.TTL.D(), 24 * time.Hour},
		{"CACHE_MAX_SIZE", cfg.Cache.MaxSize, 10000},
		{"REDIS_HOST", cfg.Redis.Host, "localhost"},
		{"REDIS_PORT", cfg.Redis.Port, 6379},
		{"QUEUE_PROVIDER", cfg.Queue.Provider, "memory"},
		{"QUEUE_CONCURRENCY", cfg.Queue.Concurrency, 10},
		{"QUEUE_MAX_RETRIES", cfg.Queue.MaxRetries, 3},
		{"RABBITMQ_URL", cfg.Queue.RabbitMQURL, "amqp://guest:guest@127.0.0.1:5672/"},
		{"BUS_PROVIDER", cfg.Bus.Provider, "auto"},
		{"NATS_URL", cfg.Bus.NATSURL, "nats://127.0.0.1:4222"},
		{"BUS_INSTANCE", cfg.Bus.Instance, ""},
		{"DATABASE_URL", cfg.Database.URL, ""},
		{"DATABASE_MAX_CONNECTIONS", cfg.Database.MaxConnections, 100},
		{"DATABASE_MIN_CONNECTIONS", cfg.Database.MinConnections, 10},
		{"DATABASE_ACQUIRE_TIMEOUT", cfg.Database.AcquireTimeout.D(), 10 * time.Second},
		{"DATABASE_STATEMENT_TIMEOUT", cfg.Database.StatementTimeout.D(), 30 * time.Second},
		{"SESSION_STORE", cfg.Session.Store, "memory"},
		{"HEALTH_CHECK_ENABLED", cfg.Ops.HealthCheckEnabled, true},
		{"METRICS_ENABLED", cfg.Ops.MetricsEnabled, true},
		{"INGEST_BATCH_ENABLED", cfg.Ingest.BatchEnabled, true},
		{"WEBHOOK_TOLERANCE", cfg.Ingest.WebhookTolerance.D(), 5 * time.Minute},
		{"WEBHOOK_NEGATIVE_CACHE_TTL", cfg.Ingest.NegativeTTL(), 5 * time.Second},
		{"REALTIME_PORT", cfg.Realtime.Port, 0},
		{"REALTIME_NETPOLL_BUFFER", cfg.Realtime.NetpollBuffer, 0},
		{"realtime addr", cfg.RealtimeAddr(), ""},
		{"bus", cfg.BusRedis(), false},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v; want %v", tt.name, tt.got, tt.want)
		}
	}
}

// TestConfigRules checks every validation rule: one bad value each, and the
// exact start-up line it prints.
func TestConfigRules(t *testing.T) {
	tests := []configCase{
		{map[string]string{"CACHE_PROVIDER": "memcached"}, `CACHE_PROVIDER="memcached": want memory or redis`},
		{map[string]string{"CACHE_PROVIDER": "redis"}, ""},
		{map[string]string{"PORT": "0"}, `PORT="0": want a port from 1 to 65535`},
		{map[string]string{"PORT": "70000"}, `PORT="70000": want a port from 1 to 65535`},
		{map[string]string{"PORT": "http"}, `PORT="http": want an integer`},
		{map[string]string{"LOG_LEVEL": "trace"}, `LOG_LEVEL="trace": want debug, info, warn or error`},
		{map[string]string{"CLUSTER_ENABLED": "yes"}, `CLUSTER_ENABLED="yes": want true or false`},
		{map[string]string{"CLUSTER_WORKERS": "0"}, `CLUSTER_WORKERS="0": want auto or an integer from 1 to 1024`},
		{map[string]string{"CLUSTER_WORKERS": "many"}, `CLUSTER_WORKERS="many": want auto or an integer from 1 to 1024`},
		{map[string]string{"CLUSTER_WORKERS": "8"}, ""},
		{map[string]string{"CLUSTER_RESTART_DELAY": "-1"}, `CLUSTER_RESTART_DELAY="-1": want milliseconds >= 0`},
		{map[string]string{"CLUSTER_RESTART_DELAY": "1s"}, `CLUSTER_RESTART_DELAY="1s": want an integer (milliseconds)`},
		{map[string]string{"CLUSTER_MAX_RESTARTS": "-1"}, `CLUSTER_MAX_RESTARTS="-1": want an integer >= 0`},
		{map[string]string{"CLUSTER_SHUTDOWN_TIMEOUT": "0"}, `CLUSTER_SHUTDOWN_TIMEOUT="0": want milliseconds > 0`},
		{map[string]string{"CLUSTER_LISTEN_MODE": "fork"}, `CLUSTER_LISTEN_MODE="fork": want shared or reuseport`},
		{map[string]string{"CLUSTER_LISTEN_MODE": "reuseport"}, ""},
		{map[string]string{"CLUSTER_READY_TIMEOUT": "0"}, `CLUSTER_READY_TIMEOUT="0": want milliseconds > 0`},
		{map[string]string{"CACHE_TTL": "0"}, `CACHE_TTL="0": want seconds > 0`},
		{map[string]string{"CACHE_MAX_SIZE": "0"}, `CACHE_MAX_SIZE="0": want an integer > 0`},
		{map[string]string{"REDIS_PORT": "0"}, `REDIS_PORT="0": want a port from 1 to 65535`},
		{map[string]string{"REDIS_DB": "-1"}, `REDIS_DB="-1": want an integer >= 0`},
		{map[string]string{"REDIS_URL": "http://x"}, `REDIS_URL="http://x": want empty or redis://[:password@]host:port/db (or rediss:// for TLS)`},
		{map[string]string{"REDIS_URL": "redis://:secret@h:6379/0"}, ""},
		{map[string]string{"REDIS_URL": "mysql://:secret@h/0"}, `REDIS_URL="mysql://:xxxxx@h/0": want empty or redis://[:password@]host:port/db (or rediss:// for TLS)`},
		{map[string]string{"REDIS_URL": "rediss://:secret@h:6380/0"}, ""},
		{map[string]string{"REDIS_URL": "redis://h:6379/x"}, `REDIS_URL="redis://h:6379/x": want empty or redis://[:password@]host:port/db (or rediss:// for TLS)`},
		{map[string]string{"REDIS_TLS_CA_FILE": "/nonexistent/ca.pem", "REDIS_URL": "rediss://h/0"}, `REDIS_TLS_CA_FILE="/nonexistent/ca.pem": want empty, or a readable PEM file of CA certificates with REDIS_URL=rediss://`},
		{map[string]string{"REDIS_TLS_CA_FILE": "config_test.go", "REDIS_URL": "rediss://h/0"}, `REDIS_TLS_CA_FILE="config_test.go": want empty, or a readable PEM file of CA certificates with REDIS_URL=rediss://`},
		{map[string]string{"REDIS_TLS_INSECURE_SKIP_VERIFY": "true", "REDIS_URL": "redis://h/0"}, `REDIS_TLS_INSECURE_SKIP_VERIFY="true": want false unless REDIS_URL is rediss://`},
		{map[string]string{"REDIS_TLS_INSECURE_SKIP_VERIFY": "true"}, `REDIS_TLS_INSECURE_SKIP_VERIFY="true": want false unless REDIS_URL is rediss://`},
		{map[string]string{"REDIS_TLS_INSECURE_SKIP_VERIFY": "true", "REDIS_URL": "rediss://h/0"}, ""},
		{map[string]string{"REDIS_CLUSTER_ADDRS": "10.0.0.1:7000,10.0.0.2:7000"}, ""},
		{map[string]string{"REDIS_CLUSTER_ADDRS": "redis://:pw@10.0.0.1:7000,10.0.0.2:7000"}, ""},
		{map[string]string{"REDIS_CLUSTER_ADDRS": "10.0.0.1"}, `REDIS_CLUSTER_ADDRS="10.0.0.1": want empty, or a comma list of host:port or redis://[:password@]host:port (db 0) agreeing on password and TLS, with REDIS_URL empty`},
		{map[string]string{"REDIS_CLUSTER_ADDRS": "redis://:pw@h:7000/3"}, `REDIS_CLUSTER_ADDRS="redis://:xxxxx@h:7000/3": want empty, or a comma list of host:port or redis://[:password@]host:port (db 0) agreeing on password and TLS, with REDIS_URL empty`},
		{map[string]string{"REDIS_CLUSTER_ADDRS": "h:7000", "REDIS_URL": "redis://h:6379/0"}, `REDIS_CLUSTER_ADDRS="h:7000": want empty, or a comma list of host:port or redis://[:password@]host:port (db 0) agreeing on password and TLS, with REDIS_URL empty`},
		{map[string]string{"QUEUE_PROVIDER": "kafka"}, `QUEUE_PROVIDER="kafka": want memory, redis, bull or rabbitmq`},
		{map[string]string{"QUEUE_PROVIDER": "rabbitmq"}, ""},
		{map[string]string{"RABBITMQ_URL": "http://h:5672/"}, `RABBITMQ_URL="http://h:5672/": want amqp://user:password@host:port/vhost (or amqps://)`},
		{map[string]string{"RABBITMQ_URL": "amqp://u:secret@h:5672/"}, ""},
		{map[string]string{"RABBITMQ_URL": "amqps://u:secret@/"}, `RABBITMQ_URL="amqps://u:xxxxx@/": want amqp://user:password@host:port/vhost (or amqps://)`},
		{map[string]string{"BUS_PROVIDER": "kafka"}, `BUS_PROVIDER="kafka": want auto, memory, redis or nats`},
		{map[string]string{"BUS_PROVIDER": "nats"}, ""},
		{map[string]string{"NATS_URL": "redis://h:4222"}, `NATS_URL="redis://h:4222": want nats://host:port (or tls://), comma-separated for a cluster`},
		{map[string]string{"NATS_URL": "nats://a:4222,nats://b:4222"}, ""},
		{map[string]string{"NATS_URL": "nats://a:4222,"}, `NATS_URL="nats://a:4222,": want nats://host:port (or tls://), comma-separated for a cluster`},
		{map[string]string{"BUS_INSTANCE": "web.1"}, `BUS_INSTANCE="web.1": want empty or up to 64 letters, digits, _ or -`},
		{map[string]string{"BUS_INSTANCE": "web-1"}, ""},
		{map[string]string{"QUEUE_PROVIDER": "bull"}, ""},
		{map[string]string{"QUEUE_CONCURRENCY": "0"}, `QUEUE_CONCURRENCY="0": want an integer from 1 to 10000`},
		{map[string]string{"QUEUE_MAX_RETRIES": "0"}, `QUEUE_MAX_RETRIES="0": want an integer from 1 to 100`},
		{map[string]string{"DATABASE_URL": "mongodb://x"}, `DATABASE_URL="mongodb://x": want empty or postgres://user@host:port/db (or postgresql://)`},
		{map[string]string{"DATABASE_URL": "postgresql://u@h/db"}, ""},
		{map[string]string{"DATABASE_MAX_CONNECTIONS": "0"}, `DATABASE_MAX_CONNECTIONS="0": want an integer from 1 to 10000`},
		{map[string]string{"DATABASE_MIN_CONNECTIONS": "200"}, `DATABASE_MIN_CONNECTIONS="200": want an integer from 0 to DATABASE_MAX_CONNECTIONS (100)`},
		{map[string]string{"DATABASE_ACQUIRE_TIMEOUT": "0"}, `DATABASE_ACQUIRE_TIMEOUT="0": want milliseconds > 0`},
		{map[string]string{"DATABASE_STATEMENT_TIMEOUT": "0"}, `DATABASE_STATEMENT_TIMEOUT="0": want milliseconds > 0`},
		{map[string]string{"DATABASE_STATEMENT_TIMEOUT": "1"}, ""},
		{map[string]string{"DATABASE_URL": "postgres://u@h/db", "DATABASE_REPLICA_URLS": "postgres://u@r1/db, postgres://u@r2/db"}, ""},
		{map[string]string{"DATABASE_REPLICA_URLS": "postgres://u@r1/db"}, `DATABASE_REPLICA_URLS="postgres://u@r1/db": want empty, or a comma list of postgres://user@host:port/db with DATABASE_URL set`},
		{map[string]string{"DATABASE_URL": "postgres://u@h/db", "DATABASE_REPLICA_URLS": "mysql://r1/db"}, `DATABASE_REPLICA_URLS="mysql://r1/db": want empty, or a comma list of postgres://user@host:port/db with DATABASE_URL set`},
		{map[string]string{"DATABASE_REPLICA_MAX_LAG": "0"}, `DATABASE_REPLICA_MAX_LAG="0": want milliseconds > 0`},
		{map[string]string{"SESSION_STORE": "cookie"}, `SESSION_STORE="cookie": want memory or redis`},
		{map[string]string{"SESSION_TTL": "0"}, `SESSION_TTL="0": want seconds > 0`},
		{map[string]string{"HEALTH_CHECK_ENABLED": "maybe"}, `HEALTH_CHECK_ENABLED="maybe": want true or false`},
		{map[string]string{"METRICS_ENABLED": "2"}, `METRICS_ENABLED="2": want true or false`},
		{map[string]string{"INGEST_BATCH_ENABLED": "x"}, `INGEST_BATCH_ENABLED="x": want true or false`},
		{map[string]string{"INGEST_BATCH_MAX_ROWS": "0"}, `INGEST_BATCH_MAX_ROWS="0": want an integer from 1 to 10000`},
		{map[string]string{"INGEST_BATCH_MAX_WAIT": "5000"}, `INGEST_BATCH_MAX_WAIT="5000": want milliseconds from 1 to 1000`},
		{map[string]string{"INGEST_BATCH_MAX_WAIT": "0"}, `INGEST_BATCH_MAX_WAIT="0": want milliseconds from 1 to 1000`},
		{map[string]string{"INGEST_BATCH_MAX_PENDING": "0"}, `INGEST_BATCH_MAX_PENDING="0": want an integer >= 1`},
		{map[string]string{"WEBHOOK_TOLERANCE": "0"}, `WEBHOOK_TOLERANCE="0": want seconds from 1 to 86400`},
		{map[string]string{"WEBHOOK_TOLERANCE": "5m"}, `WEBHOOK_TOLERANCE="5m": want an integer (seconds)`},
		{map[string]string{"WEBHOOK_NEGATIVE_CACHE_TTL": "-1"}, `WEBHOOK_NEGATIVE_CACHE_TTL="-1": want milliseconds from 0 (off) to 3600000`},
		{map[string]string{"WEBHOOK_NEGATIVE_CACHE_TTL": "0"}, ""},
		{map[string]string{"REALTIME_PORT": "5000"}, `REALTIME_PORT="5000": want 0 or a port from 1 to 65535 other than PORT`},
		{map[string]string{"REALTIME_PORT": "-1"}, `REALTIME_PORT="-1": want 0 or a port from 1 to 65535 other than PORT`},
		{map[string]string{"REALTIME_PORT": "5001"}, ""},
		{map[string]string{"REALTIME_NETPOLL_BUFFER": "100"}, `REALTIME_NETPOLL_BUFFER="100": want 0 or bytes from 512 to 1048576`},
		{map[string]string{"REALTIME_NETPOLL_BUFFER": "1024"}, ""},
		{map[string]string{"BODY_LIMIT": "10"}, `BODY_LIMIT="10": want bytes >= 1024`},
		{map[string]string{"HTTP_READ_TIMEOUT": "0"}, `HTTP_READ_TIMEOUT="0": want milliseconds > 0`},
		{map[string]string{"HTTP_WRITE_TIMEOUT": "0"}, `HTTP_WRITE_TIMEOUT="0": want milliseconds > 0`},
		{map[string]string{"HTTP_IDLE_TIMEOUT": "0"}, `HTTP_IDLE_TIMEOUT="0": want milliseconds > 0`},
		{map[string]string{"COOKIE_SECURE": "on"}, `COOKIE_SECURE="on": want auto, true or false`},
		{map[string]string{"SEED_ORGS": "-1"}, `SEED_ORGS="-1": want an integer from 0 to 100000`},
		{map[string]string{"SEED_USERS": "1001"}, `SEED_USERS="1001": want an integer from 0 to 1000`},
		{map[string]string{"SEED_AGENTS": "-2"}, `SEED_AGENTS="-2": want an integer from 0 to 1000`},
		{map[string]string{"CLUSTER_TEST_CRASH": "later"}, `CLUSTER_TEST_CRASH="later": want empty, startup or startup:<slot>`},
		{map[string]string{"CLUSTER_TEST_CRASH": "startup:x"}, `CLUSTER_TEST_CRASH="startup:x": want empty, startup or startup:<slot>`},
		{map[string]string{"CLUSTER_TEST_CRASH": "startup:1"}, ""},
	}
	checkConfigErrors(t, tests)
}

func TestConfigDerived(t *testing.T) {
	tests := []struct {
		env       map[string]string
		clustered bool
		busRedis  bool
	}{
		{map[string]string{"CLUSTER_ENABLED": "false"}, false, false},
		{map[string]string{"CLUSTER_ENABLED": "true", "CLUSTER_WORKERS": "1"}, false, false},
		{map[string]string{"CLUSTER_ENABLED": "true", "CLUSTER_WORKERS": "2"}, true, false},
		{map[string]string{"CACHE_PROVIDER": "redis"}, DefaultClusterEnabled && cpuCount() > 1, true},
		{map[string]string{"QUEUE_PROVIDER": "bull", "CLUSTER_ENABLED": "false"}, false, true},
		{map[string]string{"SESSION_STORE": "redis", "CLUSTER_ENABLED": "false"}, false, true},
		{map[string]string{"REDIS_URL": "redis://h:1/0", "CLUSTER_ENABLED": "false"}, false, true},
		{map[string]string{"REDIS_URL": "redis://h:1/0", "BUS_PROVIDER": "nats", "CLUSTER_ENABLED": "false"}, false, false},
		{map[string]string{"REDIS_URL": "redis://h:1/0", "BUS_PROVIDER": "memory", "CLUSTER_ENABLED": "false"}, false, false},
		{map[string]string{"BUS_PROVIDER": "redis", "CLUSTER_ENABLED": "false"}, false, true},
	}
	for _, tt := range tests {
		cfg, err := loadConfig(tt.env)
		if err != nil {
			t.Fatalf("loadConfig(%v) = %v", tt.env, err)
		}
		if got := cfg.Clustered(); got != tt.clustered {
			t.Errorf("%v Clustered(): got %v; want %v", tt.env, got, tt.clustered)
		}
		if got := cfg.BusRedis(); got != tt.busRedis {
			t.Errorf("%v BusRedis(): got %v; want %v", tt.env, got, tt.busRedis)
		}
	}
}

// TestConfigTableInReadme keeps README.md's configuration section equal to
// `echosenseix config-table`: the block between readmeTableBegin and
// readmeTableEnd must be exactly its output.
func TestConfigTableInReadme(t *testing.T) {
	table := configTable()
	for _, name := range []string{"`PORT`", "`CLUSTER_WORKERS`", "`DATABASE_STATEMENT_TIMEOUT`", "`INGEST_BATCH_MAX_WAIT`"} {
		if !strings.Contains(table, name) {
			t.Errorf("configTable() lacks %s", name)
		}
	}
	b, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatalf("cannot read README.md: %v", err)
	}
	readme := string(b)
	begin, end := strings.Index(readme, readmeTableBegin), strings.Index(readme, readmeTableEnd)
	if begin < 0 && end < 0 {
		t.Skipf("README.md has no %q ... %q block yet; paste `echosenseix config-table` between them", readmeTableBegin, readmeTableEnd)
	}
	if begin < 0 || end < begin {
		t.Fatalf("README.md: markers %q and %q are not in order", readmeTableBegin, readmeTableEnd)
	}
	got := strings.TrimSpace(readme[begin+len(readmeTableBegin) : end])
	if want := strings.TrimSpace(table); got != want {
		t.Errorf("README.md config table differs from `echosenseix config-table`; regenerate it:\n%s", table)
	}
}

func TestSplitPool(t *testing.T) {
	tests := []struct{ maxConns, minConns, workers, wantMax, wantMin int }{
		{100, 10, 1, 100, 10},
		{100, 10, 2, 50, 5},
		{100, 10, 8, 12, 1},
		{100, 10, 12, 8, 0},
		{5, 0, 8, 1, 0},
		{50, 10, 0, 50, 10},
	}
	for _, tt := range tests {
		gotMax, gotMin := splitPool(tt.maxConns, tt.minConns, tt.workers)
		if gotMax != tt.wantMax || gotMin != tt.wantMin {
			t.Errorf("splitPool(%d, %d, %d) = %d, %d; want %d, %d", tt.maxConns, tt.minConns, tt.workers, gotMax, gotMin, tt.wantMax, tt.wantMin)
		}
	}
}

// configCase is a set of variables and the error loadConfig must give for
// it ("" = valid).
type configCase struct {
	env  map[string]string
	want string
}

// checkConfigErrors runs loadConfig over every case.
func checkConfigErrors(t *testing.T, tests []configCase) {
	t.Helper()
	for _, tt := range tests {
		_, err := loadConfig(tt.env)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("loadConfig(%v):\n got %q\nwant %q", tt.env, got, tt.want)
		}
	}
}
