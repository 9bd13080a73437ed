package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/echosenseix/echosenseix/server/internal/hostcheck"
)

// rule is one validation: ok reports whether the field's value is allowed.
type rule struct {
	name string
	val  any
	ok   bool
	want string
}

// validate applies every rule; the first broken one is the error.
func (c *Config) validate() error {
	for _, r := range c.rules() {
		if !r.ok {
			return &ConfigError{Name: r.name, Value: fmt.Sprint(r.val), Want: r.want}
		}
	}
	return nil
}

func (c *Config) rules() []rule {
	return append([]rule{
		{"PORT", c.HTTP.Port, c.HTTP.Port >= 1 && c.HTTP.Port <= 65535, "a port from 1 to 65535"},
		{"LOG_LEVEL", c.Ops.LogLevel, oneOf(c.Ops.LogLevel, "debug", "info", "warn", "error"), "debug, info, warn or error"},
		{"CLUSTER_WORKERS", c.Cluster.Workers, validWorkers(c.Cluster.Workers), "auto or an integer from 1 to 1024"},
		{"CLUSTER_RESTART_DELAY", c.Cluster.RestartDelay, c.Cluster.RestartDelay >= 0, "milliseconds >= 0"},
		{"CLUSTER_MAX_RESTARTS", c.Cluster.MaxRestarts, c.Cluster.MaxRestarts >= 0, "an integer >= 0"},
		{"CLUSTER_SHUTDOWN_TIMEOUT", c.Cluster.ShutdownTimeout, c.Cluster.ShutdownTimeout > 0, "milliseconds > 0"},
		{"SHUTDOWN_DRAIN_DELAY", c.Cluster.DrainDelay, c.Cluster.DrainDelay >= 0 && c.Cluster.DrainDelay.D() <= 10*time.Minute, "milliseconds from 0 to 600000"},
		{"CLUSTER_LISTEN_MODE", c.Cluster.ListenMode, oneOf(c.Cluster.ListenMode, "shared", "reuseport"), "shared or reuseport"},
		{"CLUSTER_READY_TIMEOUT", c.Cluster.ReadyTimeout, c.Cluster.ReadyTimeout > 0, "milliseconds > 0"},
		{"CACHE_PROVIDER", c.Cache.Provider, oneOf(c.Cache.Provider, "memory", "redis"), "memory or redis"},
		{"CACHE_TTL", c.Cache.TTL, c.Cache.TTL > 0, "seconds > 0"},
		{"CACHE_MAX_SIZE", c.Cache.MaxSize, c.Cache.MaxSize > 0, "an integer > 0"},
		{"REDIS_PORT", c.Redis.Port, c.Redis.Port >= 1 && c.Redis.Port <= 65535, "a port from 1 to 65535"},
		{"REDIS_DB", c.Redis.DB, c.Redis.DB >= 0, "an integer >= 0"},
		{"QUEUE_PROVIDER", c.Queue.Provider, oneOf(c.Queue.Provider, "memory", "redis", "bull", "rabbitmq"), "memory, redis, bull or rabbitmq"},
		{"QUEUE_CONCURRENCY", c.Queue.Concurrency, c.Queue.Concurrency >= 1 && c.Queue.Concurrency <= 10000, "an integer from 1 to 10000"},
		{"QUEUE_MAX_RETRIES", c.Queue.MaxRetries, c.Queue.MaxRetries >= 1 && c.Queue.MaxRetries <= 100, "an integer from 1 to 100"},
		{"DATABASE_URL", redactURL(c.Database.URL), validDatabaseURL(c.Database.URL), "empty or postgres://user@host:port/db (or postgresql://)"},
		{"DATABASE_MAX_CONNECTIONS", c.Database.MaxConnections, c.Database.MaxConnections >= 1 && c.Database.MaxConnections <= 10000, "an integer from 1 to 10000"},
		{"DATABASE_MIN_CONNECTIONS", c.Database.MinConnections, c.Database.MinConnections >= 0 && c.Database.MinConnections <= c.Database.MaxConnections, fmt.Sprintf("an integer from 0 to DATABASE_MAX_CONNECTIONS (%d)", c.Database.MaxConnections)},
		{"DATABASE_ACQUIRE_TIMEOUT", c.Database.AcquireTimeout, c.Database.AcquireTimeout > 0, "milliseconds > 0"},
		{"DATABASE_STATEMENT_TIMEOUT", c.Database.StatementTimeout, c.Database.StatementTimeout > 0, "milliseconds > 0"},
		{"DATABASE_REPLICA_URLS", redactURLs(c.Database.ReplicaURLs), validReplicaURLs(c.Database), "empty, or a comma list of postgres://user@host:port/db with DATABASE_URL set"},
		{"DATABASE_REPLICA_MAX_LAG", c.Database.ReplicaMaxLag, c.Database.ReplicaMaxLag > 0, "milliseconds > 0"},
		{"SESSION_STORE", c.Session.Store, oneOf(c.Session.Store, "memory", "redis"), "memory or redis"},
		{"SESSION_TTL", c.Session.TTL, c.Session.TTL > 0, "seconds > 0"},
		{"LOGIN_MAX_ATTEMPTS_PER_ACCOUNT", c.Login.MaxAttemptsPerAccount, c.Login.MaxAttemptsPerAccount >= 1 && c.Login.MaxAttemptsPerAccount <= 10000, "an integer from 1 to 10000"},
		{"LOGIN_MAX_ATTEMPTS_PER_ADDRESS", c.Login.MaxAttemptsPerAddress, c.Login.MaxAttemptsPerAddress >= 1 && c.Login.MaxAttemptsPerAddress <= 100000, "an integer from 1 to 100000"},
		{"LOGIN_THROTTLE_WINDOW", c.Login.ThrottleWindow, c.Login.ThrottleWindow.D() >= time.Second, "seconds >= 1"},
		{"LOGIN_BACKOFF", c.Login.Backoff, c.Login.Backoff.D() >= time.Second, "seconds >= 1"},
		{"LOGIN_BACKOFF_MAX", c.Login.BackoffMax, c.Login.BackoffMax >= c.Login.Backoff, fmt.Sprintf("seconds >= LOGIN_BACKOFF (%s)", c.Login.Backoff)},
		{"TRUSTED_PROXIES", c.Login.TrustedProxies, validProxies(c.Login.TrustedProxies), "none or comma-separated CIDRs or IP addresses, e.g. 127.0.0.0/8,10.0.0.0/8"},
		{"INGEST_BATCH_MAX_ROWS", c.Ingest.BatchMaxRows, c.Ingest.BatchMaxRows >= 1 && c.Ingest.BatchMaxRows <= 10000, "an integer from 1 to 10000"},
		{"INGEST_BATCH_MAX_WAIT", c.Ingest.BatchMaxWait, c.Ingest.BatchMaxWait.D() >= time.Millisecond && c.Ingest.BatchMaxWait.D() <= time.Second, "milliseconds from 1 to 1000"},
		{"INGEST_BATCH_MAX_PENDING", c.Ingest.BatchMaxPending, c.Ingest.BatchMaxPending >= 1, "an integer >= 1"},
		{"WEBHOOK_TOLERANCE", c.Ingest.WebhookTolerance, c.Ingest.WebhookTolerance.D() >= time.Second && c.Ingest.WebhookTolerance.D() <= 24*time.Hour, "seconds from 1 to 86400"},
		{"WEBHOOK_NEGATIVE_CACHE_TTL", c.Ingest.WebhookNegativeCacheTTL, c.Ingest.WebhookNegativeCacheTTL >= 0 && c.Ingest.WebhookNegativeCacheTTL.D() <= time.Hour, "milliseconds from 0 (off) to 3600000"},
		{"REALTIME_PORT", c.Realtime.Port, c.Realtime.Port >= 0 && c.Realtime.Port <= 65535 && c.Realtime.Port != c.HTTP.Port, "0 or a port from 1 to 65535 other than PORT"},
		{"REALTIME_MAX_UNSENT_BYTES", c.Realtime.MaxUnsentBytes, c.Realtime.MaxUnsentBytes >= 4096 && c.Realtime.MaxUnsentBytes <= 64<<20, "bytes from 4096 to 67108864"},
		{"REALTIME_NETPOLL_BUFFER", c.Realtime.NetpollBuffer, c.Realtime.NetpollBuffer == 0 || (c.Realtime.NetpollBuffer >= 512 && c.Realtime.NetpollBuffer <= 1<<20), "0 or bytes from 512 to 1048576"},
		{"PPROF_ADDR", c.Ops.PprofAddr, validHostPort(c.Ops.PprofAddr), "empty or host:port (port 0 to 65535), e.g. 127.0.0.1:6060"},
		{"BODY_LIMIT", c.HTTP.BodyLimit, c.HTTP.BodyLimit >= 1024, "bytes >= 1024"},
		{"HTTP_READ_TIMEOUT", c.HTTP.ReadTimeout, c.HTTP.ReadTimeout > 0, "milliseconds > 0"},
		{"HTTP_HEADER_TIMEOUT", c.HTTP.HeaderTimeout, c.HTTP.HeaderTimeout > 0, "milliseconds > 0"},
		{"MAX_CONNECTIONS", c.HTTP.MaxConnections, c.HTTP.MaxConnections >= 0 && c.HTTP.MaxConnections <= 10_000_000, "0 (auto) or an integer from 1 to 10000000"},
		{"OVERLOAD_TARGET_LATENCY", c.HTTP.OverloadTarget, c.HTTP.OverloadTarget.D() >= time.Millisecond && c.HTTP.OverloadTarget.D() <= time.Minute, "milliseconds from 1 to 60000"},
		{"OVERLOAD_MAX_CONCURRENCY", c.HTTP.OverloadMax, c.HTTP.OverloadMax >= 8 && c.HTTP.OverloadMax <= 1_000_000, "an integer from 8 to 1000000"},
		{"HTTP_WRITE_TIMEOUT", c.HTTP.WriteTimeout, c.HTTP.WriteTimeout > 0, "milliseconds > 0"},
		{"HTTP_IDLE_TIMEOUT", c.HTTP.IdleTimeout, c.HTTP.IdleTimeout > 0, "milliseconds > 0"},
		{"COOKIE_SECURE", c.HTTP.CookieSecure, oneOf(c.HTTP.CookieSecure, "auto", "true", "false"), "auto, true or false"},
		{"SEED_ORGS", c.Seed.Orgs, c.Seed.Orgs >= 0 && c.Seed.Orgs <= 100000, "an integer from 0 to 100000"},
		{"SEED_USERS", c.Seed.Users, c.Seed.Users >= 0 && c.Seed.Users <= 1000, "an integer from 0 to 1000"},
		{"SEED_AGENTS", c.Seed.Agents, c.Seed.Agents >= 0 && c.Seed.Agents <= 1000, "an integer from 0 to 1000"},
		{"TUNING_TIER", c.Host.TuningTier, c.Host.TuningTier == "" || oneOf(c.Host.TuningTier, hostcheck.TierNames()...), "empty, " + strings.Join(hostcheck.TierNames(), ", ")},
		{"CLUSTER_TEST_CRASH", c.Cluster.TestCrash, validCrash(c.Cluster.TestCrash), "empty, startup or startup:<slot>"},
	}, append(append(append(c.Redis.rules(), c.brokerRules()...), c.hardeningRules()...), c.Tracing.rules()...)...)
}

// validReplicaURLs: every item a postgres URL, and a primary to follow.
func validReplicaURLs(c DatabaseConfig) bool {
	urls := c.replicaURLs()
	if len(urls) == 0 {
		return strings.TrimSpace(c.ReplicaURLs) == ""
	}
	if c.URL == "" {
		return false
	}
	for _, u := range urls {
		if !validDatabaseURL(u) {
			return false
		}
	}
	return true
}
