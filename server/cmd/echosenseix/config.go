package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/echosenseix/echosenseix/server/internal/hostcheck"
)

// DefaultClusterEnabled is CLUSTER_ENABLED's default: the one place to change
// it. The scaling guide says true; measured on 2 cores (one process with
// GOMAXPROCS=2 against CLUSTER_WORKERS=2, same sitting, 3 rounds; README,
// "Cluster mode"), the cluster tied at 256 connections with a 1.6-1.9x p99
// and served 5-7 % fewer requests at 5,000, so the default is false. Turn it
// on past ~10,000 connections per server (the open-file limit of one
// process) or for fault isolation.
const DefaultClusterEnabled = false

// Config is every setting of echosenseix, read from environment variables
// named as in the scaling guide. Each field's tags are its documentation:
// env (name), envDefault (default), unit, doc (meaning); `echosenseix
// config-table` renders them as the README table. Durations are integers in
// the unit the guide uses (ms or s) and read through the *Duration methods.
type Config struct {
	// PORT, default 5000: TCP port of the public HTTP listener.
	Port int `env:"PORT" envDefault:"5000" unit:"port" doc:"TCP port the API listens on (every cluster worker shares it)"`
	// HOST, default "" (all interfaces): address to bind.
	Host string `env:"HOST" envDefault:"" unit:"host" doc:"address to bind; empty means every interface"`
	// LOG_LEVEL, default info: slog level of the JSON logs.
	LogLevel string `env:"LOG_LEVEL" envDefault:"info" unit:"debug|info|warn|error" doc:"minimum level of the JSON logs on stderr"`

	// CLUSTER_ENABLED, default DefaultClusterEnabled: run the prefork supervisor.
	ClusterEnabled bool `env:"CLUSTER_ENABLED" unit:"bool" doc:"run a primary that supervises CLUSTER_WORKERS worker processes on one port (only when workers > 1)"`
	// CLUSTER_WORKERS, default auto (= CPU count): worker processes.
	ClusterWorkers string `env:"CLUSTER_WORKERS" envDefault:"auto" unit:"auto|N" doc:"number of worker processes; auto = CPU count. Each worker gets GOMAXPROCS = CPU count / workers (at least 1) unless GOMAXPROCS is set"`
	// CLUSTER_RESTART_DELAY, default 1000 ms: wait before restarting an exited worker.
	ClusterRestartDelay int `env:"CLUSTER_RESTART_DELAY" envDefault:"1000" unit:"ms" doc:"delay before an exited worker's slot is restarted"`
	// CLUSTER_MAX_RESTARTS, default 10: restarts of one slot allowed within 60 s.
	ClusterMaxRestarts int `env:"CLUSTER_MAX_RESTARTS" envDefault:"10" unit:"count" doc:"restarts of one worker slot allowed within 60 s; one more and the slot is given up"`
	// CLUSTER_SHUTDOWN_TIMEOUT, default 30000 ms: grace period of a shutdown.
	ClusterShutdownTimeout int `env:"CLUSTER_SHUTDOWN_TIMEOUT" envDefault:"30000" unit:"ms" doc:"grace period for in-flight requests on SIGTERM/SIGINT (single process and cluster); exit 1 when it passes"`
	// CLUSTER_LISTEN_MODE, default shared: how workers share the port.
	ClusterListenMode string `env:"CLUSTER_LISTEN_MODE" envDefault:"shared" unit:"shared|reuseport" doc:"shared: the primary opens one socket and passes it to every worker (no queued connection is lost when a worker dies); reuseport: each worker binds with SO_REUSEPORT"`
	// CLUSTER_READY_TIMEOUT, default 30000 ms: time a new worker has to report ready.
	ClusterReadyTimeout int `env:"CLUSTER_READY_TIMEOUT" envDefault:"30000" unit:"ms" doc:"time a starting worker has to report ready (rolling restart waits for it)"`

	// CACHE_PROVIDER, default memory: memory (per process) or redis (shared).
	CacheProvider string `env:"CACHE_PROVIDER" envDefault:"memory" unit:"memory|redis" doc:"cache backend: memory is per process (per cluster worker), redis is shared by every instance"`
	// CACHE_TTL, default 3600 s: default entry lifetime.
	CacheTTL int `env:"CACHE_TTL" envDefault:"3600" unit:"s" doc:"default time to live of a cache entry"`
	// CACHE_MAX_SIZE, default 10000: entries kept by the memory provider.
	CacheMaxSize int `env:"CACHE_MAX_SIZE" envDefault:"10000" unit:"entries" doc:"LRU bound of the memory cache (the redis provider bounds its client-side copy in bytes instead: 32 MiB per process)"`

	// REDIS_HOST, default localhost.
	RedisHost string `env:"REDIS_HOST" envDefault:"localhost" unit:"host" doc:"Redis host (ignored when REDIS_URL is set)"`
	// REDIS_PORT, default 6379.
	RedisPort int `env:"REDIS_PORT" envDefault:"6379" unit:"port" doc:"Redis port (ignored when REDIS_URL is set)"`
	// REDIS_PASSWORD, default none.
	RedisPassword string `env:"REDIS_PASSWORD" envDefault:"" unit:"secret" doc:"Redis password (ignored when REDIS_URL is set)"`
	// REDIS_DB, default 0.
	RedisDB int `env:"REDIS_DB" envDefault:"0" unit:"index" doc:"Redis database number (ignored when REDIS_URL is set)"`
	// REDIS_URL, default none: overrides REDIS_HOST/PORT/PASSWORD/DB.
	RedisURL string `env:"REDIS_URL" envDefault:"" unit:"url" doc:"redis://[:password@]host:port/db; overrides REDIS_HOST, REDIS_PORT, REDIS_PASSWORD and REDIS_DB; setting it also puts the event bus on Redis"`

	// QUEUE_PROVIDER, default memory: memory, redis or bull (alias of redis).
	QueueProvider string `env:"QUEUE_PROVIDER" envDefault:"memory" unit:"memory|redis|bull" doc:"job queue backend; bull is the guide's alias of redis"`
	// QUEUE_CONCURRENCY, default 10: jobs run at once per process.
	QueueConcurrency int `env:"QUEUE_CONCURRENCY" envDefault:"10" unit:"workers" doc:"jobs run at once by each process"`
	// QUEUE_MAX_RETRIES, default 3: attempts of a job before dead letter.
	QueueMaxRetries int `env:"QUEUE_MAX_RETRIES" envDefault:"3" unit:"attempts" doc:"attempts of a job (exponential backoff with jitter between them) before it goes to the dead-letter set"`

	// DATABASE_URL, default none: Postgres; empty serves from memory.
	DatabaseURL string `env:"DATABASE_URL" envDefault:"" unit:"url" doc:"postgres://... ; empty serves everything from in-memory stores and persists nothing"`
	// DATABASE_MAX_CONNECTIONS, default 100: pool size per process.
	DatabaseMaxConnections int `env:"DATABASE_MAX_CONNECTIONS" envDefault:"100" unit:"connections" doc:"pool size of this instance; a cluster shares it among its workers (each gets its share rounded down, at least 1), so Postgres sees at most this many from one server"`
	// DATABASE_MIN_CONNECTIONS, default 10: warm connections per process.
	DatabaseMinConnections int `env:"DATABASE_MIN_CONNECTIONS" envDefault:"10" unit:"connections" doc:"connections kept open by this instance (shared among cluster workers like DATABASE_MAX_CONNECTIONS)"`
	// DATABASE_ACQUIRE_TIMEOUT, default 10000 ms: wait for a pool connection.
	DatabaseAcquireTimeout int `env:"DATABASE_ACQUIRE_TIMEOUT" envDefault:"10000" unit:"ms" doc:"longest wait for a pool connection; past it the request gets 503 with Retry-After"`
	// DATABASE_STATEMENT_TIMEOUT, default 30000 ms: server-side statement_timeout.
	DatabaseStatementTimeout int `env:"DATABASE_STATEMENT_TIMEOUT" envDefault:"30000" unit:"ms" doc:"Postgres statement_timeout of every pool connection"`

	// SESSION_STORE, default memory: memory (per process) or redis (shared).
	SessionStore string `env:"SESSION_STORE" envDefault:"memory" unit:"memory|redis" doc:"session backend: memory is per process (a cluster needs redis for logins to work on every worker)"`
	// SESSION_TTL, default 86400 s: sliding session lifetime.
	SessionTTL int `env:"SESSION_TTL" envDefault:"86400" unit:"s" doc:"sliding lifetime of a login session"`

	// HEALTH_CHECK_ENABLED, default true: mount /health, /health/live, /health/ready.
	HealthCheckEnabled bool `env:"HEALTH_CHECK_ENABLED" envDefault:"true" unit:"bool" doc:"serve /health, /health/live and /health/ready"`
	// METRICS_ENABLED, default true: mount /metrics.
	MetricsEnabled bool `env:"METRICS_ENABLED" envDefault:"true" unit:"bool" doc:"serve Prometheus /metrics (cluster totals when clustered)"`
	// PPROF_ADDR, default none: net/http/pprof on a separate listener.
	PprofAddr string `env:"PPROF_ADDR" envDefault:"" unit:"host:port" doc:"serve net/http/pprof (/debug/pprof/) on this separate listener, e.g. 127.0.0.1:6060; empty = off. Bind it to loopback: profiles expose internals. A cluster worker adds its slot to the port"`

	// INGEST_BATCH_ENABLED, default true: group-commit webhook inserts.
	IngestBatchEnabled bool `env:"INGEST_BATCH_ENABLED" envDefault:"true" unit:"bool" doc:"coalesce concurrent post-call webhooks into one database round trip (group commit)"`
	// INGEST_BATCH_MAX_ROWS, default 256: rows per group commit.
	IngestBatchMaxRows int `env:"INGEST_BATCH_MAX_ROWS" envDefault:"256" unit:"rows" doc:"most rows in one group commit"`
	// INGEST_BATCH_MAX_WAIT, default 2 ms: longest wait to fill a batch.
	IngestBatchMaxWait int `env:"INGEST_BATCH_MAX_WAIT" envDefault:"2" unit:"ms" doc:"longest time a webhook waits for others to join its batch"`
	// INGEST_BATCH_MAX_PENDING, default 10000: webhooks waiting at most.
	IngestBatchMaxPending int `env:"INGEST_BATCH_MAX_PENDING" envDefault:"10000" unit:"rows" doc:"webhooks allowed to wait for a batch; past it they get 503 with Retry-After"`

	// Post-call webhook: signature window and unknown-agent caching.
	// WEBHOOK_TOLERANCE, default 300 s: signature timestamp skew accepted.
	WebhookTolerance int `env:"WEBHOOK_TOLERANCE" envDefault:"300" unit:"s" doc:"largest difference between a webhook signature's timestamp (t=) and the server clock; older or newer signatures answer 401 (bounds replays)"`
	// WEBHOOK_NEGATIVE_CACHE_TTL, default 5000 ms: unknown agent ids cached.
	WebhookNegativeCacheTTL int `env:"WEBHOOK_NEGATIVE_CACHE_TTL" envDefault:"5000" unit:"ms" doc:"how long a webhook's unknown agent id is remembered in the cache, so a flood of one unknown id is one database read per period; creating the agent drops it at once; 0 = off"`

	// REALTIME_TOKEN_SECRET, default random per start: HMAC key of realtime tokens.
	RealtimeTokenSecret string `env:"REALTIME_TOKEN_SECRET" envDefault:"" unit:"secret" doc:"HMAC key signing WebSocket tokens; empty = random at start (shared by the workers of one cluster, not by instances)"`
	// REALTIME_PORT, default 0: dedicated WebSocket port (0 = only PORT).
	RealtimePort int `env:"REALTIME_PORT" envDefault:"0" unit:"port" doc:"0: /ws/realtime-sync is served on PORT only (hijacked HTTP connections, about 18-25 KB each); N: WebSockets are also served on port N (any path) by a dedicated event-driven listener, about 5 KB each with REALTIME_NETPOLL_BUFFER=1024: the 100k-connection mode. Every cluster worker binds N with SO_REUSEPORT; same authentication as on PORT (?token= or the session cookie)"`
	// REALTIME_NETPOLL_BUFFER, default 0 bytes: netpoll's per-connection buffer.
	RealtimeNetpollBuffer int `env:"REALTIME_NETPOLL_BUFFER" envDefault:"0" unit:"bytes" doc:"per-connection buffer of every netpoll connection of the process, HTTP included (buffers still grow for larger requests); 0 = netpoll's default (8 KiB in, 4 KiB out); 1024 for the 100k tier"`
	// BODY_LIMIT, default 1048576 bytes: largest request body.
	BodyLimit int `env:"BODY_LIMIT" envDefault:"1048576" unit:"bytes" doc:"largest request body of the JSON routes (documents and webhooks have their own limits); a larger declared Content-Length answers 413 before the body is read"`
	// HTTP_READ_TIMEOUT, default 30000 ms.
	HTTPReadTimeout int `env:"HTTP_READ_TIMEOUT" envDefault:"30000" unit:"ms" doc:"longest time to read a request"`
	// HTTP_WRITE_TIMEOUT, default 30000 ms.
	HTTPWriteTimeout int `env:"HTTP_WRITE_TIMEOUT" envDefault:"30000" unit:"ms" doc:"longest time to write a response"`
	// HTTP_IDLE_TIMEOUT, default 120000 ms.
	HTTPIdleTimeout int `env:"HTTP_IDLE_TIMEOUT" envDefault:"120000" unit:"ms" doc:"keep-alive connections idle longer are closed"`
	// COOKIE_SECURE, default auto: Secure flag of the session cookie.
	CookieSecure string `env:"COOKIE_SECURE" envDefault:"auto" unit:"auto|true|false" doc:"Secure flag of the session cookie; auto sets it behind TLS (X-Forwarded-Proto: https)"`

	// Hardening: request limits, browser origins, production start-up checks, admin listener.
	// DOCUMENT_BODY_LIMIT, default 10485760 bytes: largest document upload.
	DocumentBodyLimit int `env:"DOCUMENT_BODY_LIMIT" envDefault:"10485760" unit:"bytes" doc:"largest document (POST /api/documents, JSON or multipart, plus 64 KiB of multipart framing); larger answers 413"`
	// WEBHOOK_BODY_LIMIT, default 2097152 bytes: largest post-call webhook.
	WebhookBodyLimit int `env:"WEBHOOK_BODY_LIMIT" envDefault:"2097152" unit:"bytes" doc:"largest post-call webhook body (transcripts); larger answers 413"`
	// HTTP_MAX_HEADER_BYTES, default 32768 bytes: request line and headers.
	HTTPMaxHeaderBytes int `env:"HTTP_MAX_HEADER_BYTES" envDefault:"32768" unit:"bytes" doc:"largest request line plus headers (nginx's default total is 32 KiB); larger answers 431"`
	// ALLOWED_ORIGINS, default none: browser origins allowed besides the request's own host.
	AllowedOrigins string `env:"ALLOWED_ORIGINS" envDefault:"" unit:"origins" doc:"comma-separated browser origins (scheme://host[:port]) allowed to send state-changing requests and open WebSockets, besides the request's own Host; * = any; a browser request from another origin answers 403 (CSRF). Requests without Origin or Sec-Fetch-Site (non-browser clients) and the signed webhooks are not checked"`
	// APP_ENV, default development: production refuses placeholder secrets.
	AppEnv string `env:"APP_ENV" envDefault:"development" unit:"development|production" doc:"production refuses to start (exit 2) with an empty REALTIME_TOKEN_SECRET or a placeholder secret (change-me, secret, password, ...) in it, SEED_PASSWORD, REDIS_PASSWORD or the DATABASE_URL/REDIS_URL passwords"`
	// ADMIN_ADDR, default none: listener of the /health detail.
	AdminAddr string `env:"ADMIN_ADDR" envDefault:"" unit:"host:port" doc:"serve GET /health (the detailed checks) on this separate listener instead of PORT, e.g. 127.0.0.1:9090; empty = off (/health stays on PORT). /health/live and /health/ready stay on PORT. A cluster worker adds its slot to the port"`

	// SEED_ORGS, default 0: organizations created in memory at serve start.
	SeedOrgs int `env:"SEED_ORGS" envDefault:"0" unit:"count" doc:"serve only, no DATABASE_URL: demo organizations created in memory at start (same data in every worker)"`
	// SEED_USERS, default 1: users per seeded organization.
	SeedUsers int `env:"SEED_USERS" envDefault:"1" unit:"count" doc:"users per seeded organization"`
	// SEED_AGENTS, default 1: agents per seeded organization.
	SeedAgents int `env:"SEED_AGENTS" envDefault:"1" unit:"count" doc:"agents per seeded organization"`
	// SEED_PASSWORD, default random: password of every seeded user.
	SeedPassword string `env:"SEED_PASSWORD" envDefault:"" unit:"secret" doc:"password of every seeded user; empty = random, printed in the seed JSON"`
	// SEED_OUT, default stdout: where serve writes the seed JSON.
	SeedOut string `env:"SEED_OUT" envDefault:"" unit:"path" doc:"file receiving the seed JSON (mode 0600); empty = stdout"`

	// Host tuning: the host checked against the tier the server is sized for.
	// TUNING_TIER, default none: load tier whose connections the host must carry.
	TuningTier string `env:"TUNING_TIER" envDefault:"" unit:"1k|10k|100k" doc:"load tier this server is sized for (users, page-load and webhook connections of loadtests/tiers): at start-up each serving process compares RLIMIT_NOFILE, net.core.somaxconn, net.ipv4.tcp_max_syn_backlog, fs.nr_open and fs.file-max with what its share of those connections needs, logs one warning per setting that is off, reports host_setting_ok{key} and a \"host\" check in /health (degraded, never 503); empty = not checked"`

	// Login throttle, client addresses and logout everywhere.
	// LOGIN_MAX_ATTEMPTS_PER_ACCOUNT, default 5: attempts on one account before it backs off.
	LoginMaxAttemptsPerAccount int `env:"LOGIN_MAX_ATTEMPTS_PER_ACCOUNT" envDefault:"5" unit:"attempts" doc:"login attempts on one account (from all addresses) before it backs off; the back-off refuses only addresses that already failed on the account, so its owner still gets in from another address"`
	// LOGIN_MAX_ATTEMPTS_PER_ADDRESS, default 20: attempts from one client address before it backs off.
	LoginMaxAttemptsPerAddress int `env:"LOGIN_MAX_ATTEMPTS_PER_ADDRESS" envDefault:"20" unit:"attempts" doc:"login attempts from one client address (on all accounts) before it backs off; a success gives its attempt back"`
	// LOGIN_THROTTLE_WINDOW, default 900 s: counters are forgotten this long after the last attempt.
	LoginThrottleWindow int `env:"LOGIN_THROTTLE_WINDOW" envDefault:"900" unit:"s" doc:"a login counter is forgotten this long after its last attempt (or its back-off, if later); counted in Redis when SESSION_STORE=redis (shared by every worker and instance), else per process"`
	// LOGIN_BACKOFF, default 60 s: first refusal period past a limit.
	LoginBackoff int `env:"LOGIN_BACKOFF" envDefault:"60" unit:"s" doc:"refusal period (429 with Retry-After) once a login limit is reached; doubles with each further attempt, up to LOGIN_BACKOFF_MAX"`
	// LOGIN_BACKOFF_MAX, default 3600 s: longest refusal period.
	LoginBackoffMax int `env:"LOGIN_BACKOFF_MAX" envDefault:"3600" unit:"s" doc:"longest login refusal period"`
	// TRUSTED_PROXIES, default loopback: peers whose forwarding headers name the client.
	TrustedProxies string `env:"TRUSTED_PROXIES" envDefault:"127.0.0.0/8,::1/128" unit:"CIDRs|none" doc:"comma-separated CIDRs (or addresses) of reverse proxies whose X-Forwarded-For / X-Real-IP name the client address (login limits per address); other peers are their own address; none trusts no peer. Behind docker-compose's nginx, add the compose network"`

	// CLUSTER_TEST_CRASH, default none: test hook.
	ClusterTestCrash string `env:"CLUSTER_TEST_CRASH" envDefault:"" unit:"startup[:slot]" doc:"test hook: startup makes every worker (startup:N only slot N) exit 3 before it serves"`
}

// Durations of the integer settings.
func (c *Config) RestartDelay() time.Duration    { return ms(c.ClusterRestartDelay) }
func (c *Config) ShutdownTimeout() time.Duration { return ms(c.ClusterShutdownTimeout) }
func (c *Config) ReadyTimeout() time.Duration    { return ms(c.ClusterReadyTimeout) }
func (c *Config) CacheTTLDuration() time.Duration {
	return time.Duration(c.CacheTTL) * time.Second
}
func (c *Config) SessionTTLDuration() time.Duration {
	return time.Duration(c.SessionTTL) * time.Second
}
func (c *Config) AcquireTimeout() time.Duration   { return ms(c.DatabaseAcquireTimeout) }
func (c *Config) StatementTimeout() time.Duration { return ms(c.DatabaseStatementTimeout) }
func (c *Config) BatchMaxWait() time.Duration     { return ms(c.IngestBatchMaxWait) }

// WebhookToleranceDuration is WEBHOOK_TOLERANCE.
func (c *Config) WebhookToleranceDuration() time.Duration {
	return time.Duration(c.WebhookTolerance) * time.Second
}

// WebhookNegativeTTL is WEBHOOK_NEGATIVE_CACHE_TTL for httpapi.Config:
// negative when off (0).
func (c *Config) WebhookNegativeTTL() time.Duration {
	if c.WebhookNegativeCacheTTL == 0 {
		return -1
	}
	return ms(c.WebhookNegativeCacheTTL)
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// Addr is the public listen address.
func (c *Config) Addr() string { return c.Host + ":" + strconv.Itoa(c.Port) }

// RealtimeAddr is the dedicated WebSocket listen address ("" when
// REALTIME_PORT is 0).
func (c *Config) RealtimeAddr() string {
	if c.RealtimePort == 0 {
		return ""
	}
	return c.Host + ":" + strconv.Itoa(c.RealtimePort)
}

// Workers resolves CLUSTER_WORKERS (auto = CPU count).
func (c *Config) Workers() int {
	if c.ClusterWorkers == "auto" {
		return runtime.NumCPU()
	}
	n, _ := strconv.Atoi(c.ClusterWorkers)
	return n
}

// Clustered reports whether serve runs the primary/worker supervisor.
func (c *Config) Clustered() bool { return c.ClusterEnabled && c.Workers() > 1 }

// RedisWanted reports whether any provider asks for Redis.
func (c *Config) RedisWanted() bool {
	return c.CacheProvider == "redis" || c.SessionStore == "redis" || c.QueueRedis()
}

// QueueRedis reports whether the queue runs on Redis (redis or bull).
func (c *Config) QueueRedis() bool { return c.QueueProvider == "redis" || c.QueueProvider == "bull" }

// BusRedis reports whether the event bus runs on Redis: when any Redis
// provider is set or REDIS_URL is given.
func (c *Config) BusRedis() bool { return c.RedisWanted() || c.RedisURL != "" }

// RedisTarget names the Redis settings in force, for error messages.
func (c *Config) RedisTarget() string {
	if c.RedisURL != "" {
		return "REDIS_URL=" + redactURL(c.RedisURL)
	}
	return fmt.Sprintf("REDIS_HOST=%s REDIS_PORT=%d", c.RedisHost, c.RedisPort)
}

// ConfigError is a bad setting: it prints as the one start-up line.
type ConfigError struct {
	Name, Value, Want string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%s=%q: want %s", e.Name, e.Value, e.Want)
}

// loadConfig reads environ (os.Environ form) into a Config and validates it.
func loadConfig(environ map[string]string) (*Config, error) {
	cfg := &Config{ClusterEnabled: DefaultClusterEnabled}
	err := env.ParseWithOptions(cfg, env.Options{Environment: environ})
	if err != nil {
		return nil, parseErrorToConfigError(err, environ)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// environMap turns os.Environ() into a map.
func environMap(kv []string) map[string]string {
	m := make(map[string]string, len(kv))
	for _, s := range kv {
		if k, v, ok := strings.Cut(s, "="); ok {
			m[k] = v
		}
	}
	return m
}

// parseErrorToConfigError names the variable of the first field env could not
// parse (env's own errors name the Go field).
func parseErrorToConfigError(err error, environ map[string]string) error {
	var pe env.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	f, ok := reflect.TypeOf(Config{}).FieldByName(pe.Name)
	if !ok {
		return err
	}
	name := f.Tag.Get("env")
	want := "an integer"
	if pe.Type.Kind() == reflect.Bool {
		want = "true or false"
	}
	return &ConfigError{Name: name, Value: environ[name], Want: want}
}

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
		{"PORT", c.Port, c.Port >= 1 && c.Port <= 65535, "a port from 1 to 65535"},
		{"LOG_LEVEL", c.LogLevel, oneOf(c.LogLevel, "debug", "info", "warn", "error"), "debug, info, warn or error"},
		{"CLUSTER_WORKERS", c.ClusterWorkers, validWorkers(c.ClusterWorkers), "auto or an integer from 1 to 1024"},
		{"CLUSTER_RESTART_DELAY", c.ClusterRestartDelay, c.ClusterRestartDelay >= 0, "milliseconds >= 0"},
		{"CLUSTER_MAX_RESTARTS", c.ClusterMaxRestarts, c.ClusterMaxRestarts >= 0, "an integer >= 0"},
		{"CLUSTER_SHUTDOWN_TIMEOUT", c.ClusterShutdownTimeout, c.ClusterShutdownTimeout > 0, "milliseconds > 0"},
		{"CLUSTER_LISTEN_MODE", c.ClusterListenMode, oneOf(c.ClusterListenMode, "shared", "reuseport"), "shared or reuseport"},
		{"CLUSTER_READY_TIMEOUT", c.ClusterReadyTimeout, c.ClusterReadyTimeout > 0, "milliseconds > 0"},
		{"CACHE_PROVIDER", c.CacheProvider, oneOf(c.CacheProvider, "memory", "redis"), "memory or redis"},
		{"CACHE_TTL", c.CacheTTL, c.CacheTTL > 0, "seconds > 0"},
		{"CACHE_MAX_SIZE", c.CacheMaxSize, c.CacheMaxSize > 0, "an integer > 0"},
		{"REDIS_PORT", c.RedisPort, c.RedisPort >= 1 && c.RedisPort <= 65535, "a port from 1 to 65535"},
		{"REDIS_DB", c.RedisDB, c.RedisDB >= 0, "an integer >= 0"},
		{"REDIS_URL", redactURL(c.RedisURL), validRedisURL(c.RedisURL), "empty or redis://[:password@]host:port/db (or rediss://)"},
		{"QUEUE_PROVIDER", c.QueueProvider, oneOf(c.QueueProvider, "memory", "redis", "bull"), "memory, redis or bull"},
		{"QUEUE_CONCURRENCY", c.QueueConcurrency, c.QueueConcurrency >= 1 && c.QueueConcurrency <= 10000, "an integer from 1 to 10000"},
		{"QUEUE_MAX_RETRIES", c.QueueMaxRetries, c.QueueMaxRetries >= 1 && c.QueueMaxRetries <= 100, "an integer from 1 to 100"},
		{"DATABASE_URL", redactURL(c.DatabaseURL), validDatabaseURL(c.DatabaseURL), "empty or postgres://user@host:port/db (or postgresql://)"},
		{"DATABASE_MAX_CONNECTIONS", c.DatabaseMaxConnections, c.DatabaseMaxConnections >= 1 && c.DatabaseMaxConnections <= 10000, "an integer from 1 to 10000"},
		{"DATABASE_MIN_CONNECTIONS", c.DatabaseMinConnections, c.DatabaseMinConnections >= 0 && c.DatabaseMinConnections <= c.DatabaseMaxConnections, fmt.Sprintf("an integer from 0 to DATABASE_MAX_CONNECTIONS (%d)", c.DatabaseMaxConnections)},
		{"DATABASE_ACQUIRE_TIMEOUT", c.DatabaseAcquireTimeout, c.DatabaseAcquireTimeout > 0, "milliseconds > 0"},
		{"DATABASE_STATEMENT_TIMEOUT", c.DatabaseStatementTimeout, c.DatabaseStatementTimeout > 0, "milliseconds > 0"},
		{"SESSION_STORE", c.SessionStore, oneOf(c.SessionStore, "memory", "redis"), "memory or redis"},
		{"SESSION_TTL", c.SessionTTL, c.SessionTTL > 0, "seconds > 0"},
		{"LOGIN_MAX_ATTEMPTS_PER_ACCOUNT", c.LoginMaxAttemptsPerAccount, c.LoginMaxAttemptsPerAccount >= 1 && c.LoginMaxAttemptsPerAccount <= 10000, "an integer from 1 to 10000"},
		{"LOGIN_MAX_ATTEMPTS_PER_ADDRESS", c.LoginMaxAttemptsPerAddress, c.LoginMaxAttemptsPerAddress >= 1 && c.LoginMaxAttemptsPerAddress <= 100000, "an integer from 1 to 100000"},
		{"LOGIN_THROTTLE_WINDOW", c.LoginThrottleWindow, c.LoginThrottleWindow >= 1, "seconds >= 1"},
		{"LOGIN_BACKOFF", c.LoginBackoff, c.LoginBackoff >= 1, "seconds >= 1"},
		{"LOGIN_BACKOFF_MAX", c.LoginBackoffMax, c.LoginBackoffMax >= c.LoginBackoff, fmt.Sprintf("seconds >= LOGIN_BACKOFF (%d)", c.LoginBackoff)},
		{"TRUSTED_PROXIES", c.TrustedProxies, validProxies(c.TrustedProxies), "none or comma-separated CIDRs or IP addresses, e.g. 127.0.0.0/8,10.0.0.0/8"},
		{"INGEST_BATCH_MAX_ROWS", c.IngestBatchMaxRows, c.IngestBatchMaxRows >= 1 && c.IngestBatchMaxRows <= 10000, "an integer from 1 to 10000"},
		{"INGEST_BATCH_MAX_WAIT", c.IngestBatchMaxWait, c.IngestBatchMaxWait >= 1 && c.IngestBatchMaxWait <= 1000, "milliseconds from 1 to 1000"},
		{"INGEST_BATCH_MAX_PENDING", c.IngestBatchMaxPending, c.IngestBatchMaxPending >= 1, "an integer >= 1"},
		{"WEBHOOK_TOLERANCE", c.WebhookTolerance, c.WebhookTolerance >= 1 && c.WebhookTolerance <= 86400, "seconds from 1 to 86400"},
		{"WEBHOOK_NEGATIVE_CACHE_TTL", c.WebhookNegativeCacheTTL, c.WebhookNegativeCacheTTL >= 0 && c.WebhookNegativeCacheTTL <= 3600000, "milliseconds from 0 (off) to 3600000"},
		{"REALTIME_PORT", c.RealtimePort, c.RealtimePort >= 0 && c.RealtimePort <= 65535 && c.RealtimePort != c.Port, "0 or a port from 1 to 65535 other than PORT"},
		{"REALTIME_NETPOLL_BUFFER", c.RealtimeNetpollBuffer, c.RealtimeNetpollBuffer == 0 || (c.RealtimeNetpollBuffer >= 512 && c.RealtimeNetpollBuffer <= 1<<20), "0 or bytes from 512 to 1048576"},
		{"PPROF_ADDR", c.PprofAddr, validHostPort(c.PprofAddr), "empty or host:port (port 0 to 65535), e.g. 127.0.0.1:6060"},
		{"BODY_LIMIT", c.BodyLimit, c.BodyLimit >= 1024, "bytes >= 1024"},
		{"HTTP_READ_TIMEOUT", c.HTTPReadTimeout, c.HTTPReadTimeout > 0, "milliseconds > 0"},
		{"HTTP_WRITE_TIMEOUT", c.HTTPWriteTimeout, c.HTTPWriteTimeout > 0, "milliseconds > 0"},
		{"HTTP_IDLE_TIMEOUT", c.HTTPIdleTimeout, c.HTTPIdleTimeout > 0, "milliseconds > 0"},
		{"COOKIE_SECURE", c.CookieSecure, oneOf(c.CookieSecure, "auto", "true", "false"), "auto, true or false"},
		{"SEED_ORGS", c.SeedOrgs, c.SeedOrgs >= 0 && c.SeedOrgs <= 100000, "an integer from 0 to 100000"},
		{"SEED_USERS", c.SeedUsers, c.SeedUsers >= 0 && c.SeedUsers <= 1000, "an integer from 0 to 1000"},
		{"SEED_AGENTS", c.SeedAgents, c.SeedAgents >= 0 && c.SeedAgents <= 1000, "an integer from 0 to 1000"},
		{"TUNING_TIER", c.TuningTier, c.TuningTier == "" || oneOf(c.TuningTier, hostcheck.TierNames()...), "empty, " + strings.Join(hostcheck.TierNames(), ", ")},
		{"CLUSTER_TEST_CRASH", c.ClusterTestCrash, validCrash(c.ClusterTestCrash), "empty, startup or startup:<slot>"},
	}, c.hardeningRules()...)
}

func oneOf(v string, allowed ...string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

// validHostPort accepts "" or host:port with a numeric port.
func validHostPort(s string) bool {
	if s == "" {
		return true
	}
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 0 && n <= 65535
}

func validWorkers(s string) bool {
	if s == "auto" {
		return true
	}
	n, err := strconv.Atoi(s)
	return err == nil && n >= 1 && n <= 1024
}

func validCrash(s string) bool {
	if s == "" || s == "startup" {
		return true
	}
	n, err := strconv.Atoi(strings.TrimPrefix(s, "startup:"))
	return strings.HasPrefix(s, "startup:") && err == nil && n >= 0
}

// crashAtStartup reports whether the CLUSTER_TEST_CRASH hook applies to slot.
func (c *Config) crashAtStartup(slot int) bool {
	return c.ClusterTestCrash == "startup" || c.ClusterTestCrash == "startup:"+strconv.Itoa(slot)
}

func validRedisURL(s string) bool {
	if s == "" {
		return true
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "redis" || u.Scheme == "rediss") && u.Host != ""
}

func validDatabaseURL(s string) bool {
	if s == "" {
		return true
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql")
}

// redactURL hides a URL's password.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	return u.Redacted()
}

// exitConfig prints the one start-up line for err and exits 2.
func exitConfig(err error) {
	fmt.Fprintf(os.Stderr, "echosenseix: %v\n", err)
	os.Exit(2)
}
