package main

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
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
// named as in the scaling guide, in one typed sub-config per area. Each
// field's tags are its documentation: env (name), envDefault (its one
// default), unit, doc (meaning); `echosenseix config-table` renders them as
// the README table. Durations are Millis or Seconds: plain integers in the
// unit the guide uses, read as time.Duration. Each sub-config is handed to
// the package that uses it as it is.
type Config struct {
	HTTP      HTTPConfig
	Ops       OpsConfig
	Cluster   ClusterConfig
	Cache     CacheConfig
	Redis     RedisConfig
	Queue     QueueConfig
	Bus       BusConfig
	Database  DatabaseConfig
	Session   SessionConfig
	Ingest    IngestConfig
	Realtime  RealtimeConfig
	Hardening HardeningConfig
	Seed      SeedConfig
	Host      HostConfig
	Login     LoginConfig
	Tracing   TracingConfig
}

// HTTPConfig is the public listener: address, body limit, timeouts and the session cookie.
type HTTPConfig struct {
	// PORT, default 5000: TCP port of the public HTTP listener.
	Port int `env:"PORT" envDefault:"5000" unit:"port" doc:"TCP port the API listens on (every cluster worker shares it)"`
	// HOST, default "" (all interfaces): address to bind.
	Host string `env:"HOST" envDefault:"" unit:"host" doc:"address to bind; empty means every interface"`
	// BODY_LIMIT, default 1048576 bytes: largest request body.
	BodyLimit int `env:"BODY_LIMIT" envDefault:"1048576" unit:"bytes" doc:"largest request body of the JSON routes (documents and webhooks have their own limits); a larger declared Content-Length answers 413 before the body is read"`
	// HTTP_READ_TIMEOUT, default 30000 ms.
	ReadTimeout Millis `env:"HTTP_READ_TIMEOUT" envDefault:"30000" unit:"ms" doc:"longest time to read a request"`
	// HTTP_HEADER_TIMEOUT, default 10000 ms: the whole request head.
	HeaderTimeout Millis `env:"HTTP_HEADER_TIMEOUT" envDefault:"10000" unit:"ms" doc:"longest time for a request's line and headers, from the accept (first request) or the request's first bytes (next ones) until they are all read; past it the connection is closed (slowloris: HTTP_READ_TIMEOUT only bounds each wait for bytes) and counted in http_connections_refused_total{reason=\"header_timeout\"}"`
	// MAX_CONNECTIONS, default 0 (auto): open connections per process.
	MaxConnections int `env:"MAX_CONNECTIONS" envDefault:"0" unit:"connections" doc:"open connections of one process on PORT (WebSockets on it included) past which a new connection's first request is answered 503 with Retry-After and code too_many_connections, then closed, and counted in http_connections_refused_total{reason=\"max_connections\"}; 0 = the open-file limit (RLIMIT_NOFILE) less 1024 descriptors for the pools and files, so clients get an answer instead of hanging in the backlog when accept would fail with EMFILE"`
	// OVERLOAD_SHEDDING, default true: the adaptive concurrency limit.
	OverloadShedding bool `env:"OVERLOAD_SHEDDING" envDefault:"true" unit:"bool" doc:"limit the requests running at once adaptively (every route but /health*, /metrics and the WebSocket entry): while the average latency stays within OVERLOAD_TARGET_LATENCY (or twice the lowest 100 ms average of the last minute, at most 1 s) the limit stays at or grows toward OVERLOAD_MAX_CONCURRENCY; above it the limit falls by the ratio, and requests past it answer 503 with Retry-After: 1 and code overloaded at once (http_connections_refused_total{reason=\"overload\"}, http_concurrency_limit)"`
	// OVERLOAD_TARGET_LATENCY, default 100 ms.
	OverloadTarget Millis `env:"OVERLOAD_TARGET_LATENCY" envDefault:"100" unit:"ms" doc:"average request latency the overload limit always allows before it lowers the limit"`
	// OVERLOAD_MAX_CONCURRENCY, default 4096: requests running at once at most.
	OverloadMax int `env:"OVERLOAD_MAX_CONCURRENCY" envDefault:"4096" unit:"requests" doc:"largest (and starting) overload limit of one process"`
	// HTTP_WRITE_TIMEOUT, default 30000 ms.
	WriteTimeout Millis `env:"HTTP_WRITE_TIMEOUT" envDefault:"30000" unit:"ms" doc:"longest time to write a response"`
	// HTTP_IDLE_TIMEOUT, default 120000 ms.
	IdleTimeout Millis `env:"HTTP_IDLE_TIMEOUT" envDefault:"120000" unit:"ms" doc:"keep-alive connections idle longer are closed"`
	// COOKIE_SECURE, default auto: Secure flag of the session cookie.
	CookieSecure string `env:"COOKIE_SECURE" envDefault:"auto" unit:"auto|true|false" doc:"Secure flag of the session cookie; auto sets it behind TLS (X-Forwarded-Proto: https)"`
}

// OpsConfig is what operators watch: logs, health routes, metrics and pprof.
type OpsConfig struct {
	// LOG_LEVEL, default info: slog level of the JSON logs.
	LogLevel string `env:"LOG_LEVEL" envDefault:"info" unit:"debug|info|warn|error" doc:"minimum level of the JSON logs on stderr"`
	// HEALTH_CHECK_ENABLED, default true: mount /health, /health/live, /health/ready.
	HealthCheckEnabled bool `env:"HEALTH_CHECK_ENABLED" envDefault:"true" unit:"bool" doc:"serve /health, /health/live and /health/ready"`
	// METRICS_ENABLED, default true: mount /metrics.
	MetricsEnabled bool `env:"METRICS_ENABLED" envDefault:"true" unit:"bool" doc:"serve Prometheus /metrics (cluster totals when clustered)"`
	// PPROF_ADDR, default none: net/http/pprof on a separate listener.
	PprofAddr string `env:"PPROF_ADDR" envDefault:"" unit:"host:port" doc:"serve net/http/pprof (/debug/pprof/) on this separate listener, e.g. 127.0.0.1:6060; empty = off. Bind it to loopback: profiles expose internals. A cluster worker adds its slot to the port"`
}

// ClusterConfig is the prefork supervisor (package cluster).
type ClusterConfig struct {
	// CLUSTER_ENABLED, default DefaultClusterEnabled: run the prefork supervisor.
	Enabled bool `env:"CLUSTER_ENABLED" unit:"bool" doc:"run a primary that supervises CLUSTER_WORKERS worker processes on one port (only when workers > 1)"`
	// CLUSTER_WORKERS, default auto (= CPU count): worker processes.
	Workers string `env:"CLUSTER_WORKERS" envDefault:"auto" unit:"auto|N" doc:"number of worker processes; auto = CPU count. Each worker gets GOMAXPROCS = CPU count / workers (at least 1) unless GOMAXPROCS is set"`
	// CLUSTER_RESTART_DELAY, default 1000 ms: wait before restarting an exited worker.
	RestartDelay Millis `env:"CLUSTER_RESTART_DELAY" envDefault:"1000" unit:"ms" doc:"delay before an exited worker's slot is restarted"`
	// CLUSTER_MAX_RESTARTS, default 10: restarts of one slot allowed within 60 s.
	MaxRestarts int `env:"CLUSTER_MAX_RESTARTS" envDefault:"10" unit:"count" doc:"restarts of one worker slot allowed within 60 s; one more and the slot is given up"`
	// CLUSTER_SHUTDOWN_TIMEOUT, default 30000 ms: grace period of a shutdown.
	ShutdownTimeout Millis `env:"CLUSTER_SHUTDOWN_TIMEOUT" envDefault:"30000" unit:"ms" doc:"grace period for in-flight requests on SIGTERM/SIGINT (single process and cluster); exit 1 when it passes"`
	// SHUTDOWN_DRAIN_DELAY, default 10000 ms: serving on after SIGTERM with readiness 503.
	DrainDelay Millis `env:"SHUTDOWN_DRAIN_DELAY" envDefault:"10000" unit:"ms" doc:"on SIGTERM, /health/ready answers 503 at once while the server keeps accepting and serving this long, every response saying Connection: close; then the listeners close and CLUSTER_SHUTDOWN_TIMEOUT starts. The default covers the readiness probe of deploy/k8s (periodSeconds 5 x failureThreshold 2 = 10 s, also the time kube-proxy and ingresses take to drop a terminating pod) and haproxy's check (inter 2s fall 2 = 4 s); nginx, which does not probe, learns from the Connection: close answers. Kubernetes' terminationGracePeriodSeconds must exceed this plus CLUSTER_SHUTDOWN_TIMEOUT. SIGINT (Ctrl-C) skips it; 0 = off"`
	// CLUSTER_LISTEN_MODE, default shared: how workers share the port.
	ListenMode string `env:"CLUSTER_LISTEN_MODE" envDefault:"shared" unit:"shared|reuseport" doc:"shared: the primary opens one socket and passes it to every worker (no queued connection is lost when a worker dies); reuseport: each worker binds with SO_REUSEPORT"`
	// CLUSTER_READY_TIMEOUT, default 30000 ms: time a new worker has to report ready.
	ReadyTimeout Millis `env:"CLUSTER_READY_TIMEOUT" envDefault:"30000" unit:"ms" doc:"time a starting worker has to report ready (rolling restart waits for it)"`
	// CLUSTER_TEST_CRASH, default none: test hook.
	TestCrash string `env:"CLUSTER_TEST_CRASH" envDefault:"" unit:"startup[:slot]" doc:"test hook: startup makes every worker (startup:N only slot N) exit 3 before it serves"`
}

// CacheConfig is the cache provider and its one TTL.
type CacheConfig struct {
	// CACHE_PROVIDER, default memory: memory (per process) or redis (shared).
	Provider string `env:"CACHE_PROVIDER" envDefault:"memory" unit:"memory|redis" doc:"cache backend: memory is per process (per cluster worker), redis is shared by every instance"`
	// CACHE_TTL, default 300 s: lifetime of every cached read.
	TTL Seconds `env:"CACHE_TTL" envDefault:"300" unit:"s" doc:"lifetime of every cached read (an agent, an organization's agent list, a user, the webhook's agent and signing-secret lookups; a write drops what it changes at once) and of an entry written without one; the redis provider's client-side copy lives no longer. Analytics, call-log pages and sessions have their own lifetimes"`
	// CACHE_MAX_SIZE, default 10000: entries kept by the memory provider.
	MaxSize int `env:"CACHE_MAX_SIZE" envDefault:"10000" unit:"entries" doc:"LRU bound of the memory cache (the redis provider bounds its client-side copy in bytes instead: 32 MiB per process)"`
}

// RedisConfig locates the Redis every Redis provider and the bus share.
type RedisConfig struct {
	// REDIS_HOST, default localhost.
	Host string `env:"REDIS_HOST" envDefault:"localhost" unit:"host" doc:"Redis host (ignored when REDIS_URL is set)"`
	// REDIS_PORT, default 6379.
	Port int `env:"REDIS_PORT" envDefault:"6379" unit:"port" doc:"Redis port (ignored when REDIS_URL is set)"`
	// REDIS_PASSWORD, default none.
	Password string `env:"REDIS_PASSWORD" envDefault:"" unit:"secret" doc:"Redis password (ignored when REDIS_URL is set)"`
	// REDIS_DB, default 0.
	DB int `env:"REDIS_DB" envDefault:"0" unit:"index" doc:"Redis database number (ignored when REDIS_URL is set)"`
	// REDIS_TIMEOUT, default 500 ms: longest wait for one Redis reply.
	Timeout Millis `env:"REDIS_TIMEOUT" envDefault:"500" unit:"ms" doc:"longest wait for one reply of the cache, session and login-throttle calls; past it the call fails (the cache falls back to Postgres) and the connection stays open. A connection is closed, and the client-side copies it filled dropped, only when its health PING goes unanswered for 4x this (at least 1 s), which also bounds how long a partitioned instance serves its client-side copies (1 s + 4x this). The job queue (2 s) and the event bus (5 s) have their own"`
	// REDIS_URL, default none: overrides REDIS_HOST/PORT/PASSWORD/DB.
	URL string `env:"REDIS_URL" envDefault:"" unit:"url" doc:"redis://[:password@]host:port/db, or rediss://... for TLS (the server's certificate is verified for host); overrides REDIS_HOST, REDIS_PORT, REDIS_PASSWORD and REDIS_DB; setting it also puts the event bus on Redis"`
	// REDIS_CLUSTER_ADDRS, default none: seed nodes of a Redis Cluster.
	ClusterAddrs string `env:"REDIS_CLUSTER_ADDRS" envDefault:"" unit:"host:port,..." doc:"comma list of seed nodes of a Redis Cluster (host:port, or redis://[:password@]host:port URLs, which must agree on password and TLS; REDIS_PASSWORD applies when none gives one): cache, sessions, login throttle, queue and event bus then use the cluster, following its slot map through failovers; not with REDIS_URL; setting it also puts the event bus on Redis"`

	// Redis over TLS (rediss://): whom to trust.
	// REDIS_TLS_CA_FILE, default none (the system's roots).
	TLSCAFile string `env:"REDIS_TLS_CA_FILE" envDefault:"" unit:"path" doc:"PEM file of the CA certificates that sign the Redis server's certificate, trusted instead of the system's roots; only with REDIS_URL=rediss://; empty = the system's roots"`
	// REDIS_TLS_INSECURE_SKIP_VERIFY, default false.
	TLSInsecureSkipVerify bool `env:"REDIS_TLS_INSECURE_SKIP_VERIFY" envDefault:"false" unit:"bool" doc:"accept any certificate from the Redis server (encrypted, not authenticated: tests only); only with REDIS_URL=rediss://"`
}

// QueueConfig is the job queue provider.
type QueueConfig struct {
	// QUEUE_PROVIDER, default memory: memory, redis, bull (alias of redis)
	// or rabbitmq.
	Provider string `env:"QUEUE_PROVIDER" envDefault:"memory" unit:"memory|redis|bull|rabbitmq" doc:"job queue backend; bull is the guide's alias of redis; rabbitmq uses RABBITMQ_URL"`
	// RABBITMQ_URL, default the local broker's guest account.
	RabbitMQURL string `env:"RABBITMQ_URL" envDefault:"amqp://guest:guest@127.0.0.1:5672/" unit:"url" doc:"amqp:// (or amqps://) URL of the RabbitMQ broker of QUEUE_PROVIDER=rabbitmq"`
	// QUEUE_CONCURRENCY, default 10: jobs run at once per process.
	Concurrency int `env:"QUEUE_CONCURRENCY" envDefault:"10" unit:"workers" doc:"jobs run at once by each process"`
	// QUEUE_MAX_RETRIES, default 3: attempts of a job before dead letter.
	MaxRetries int `env:"QUEUE_MAX_RETRIES" envDefault:"3" unit:"attempts" doc:"attempts of a job (exponential backoff with jitter between them) before it goes to the dead-letter set"`
}

// DatabaseConfig is the Postgres pool of this instance.
type DatabaseConfig struct {
	// DATABASE_URL, default none: Postgres; empty serves from memory.
	URL string `env:"DATABASE_URL" envDefault:"" unit:"url" doc:"postgres://... ; empty serves everything from in-memory stores and persists nothing"`
	// DATABASE_MAX_CONNECTIONS, default 100: pool size per instance (split among cluster workers).
	MaxConnections int `env:"DATABASE_MAX_CONNECTIONS" envDefault:"100" unit:"connections" doc:"pool size of this instance; a cluster shares it among its workers (each gets its share rounded down, at least 1), so Postgres sees at most this many from one server"`
	// DATABASE_MIN_CONNECTIONS, default 10: warm connections per instance (split among cluster workers).
	MinConnections int `env:"DATABASE_MIN_CONNECTIONS" envDefault:"10" unit:"connections" doc:"connections kept open by this instance (shared among cluster workers like DATABASE_MAX_CONNECTIONS)"`
	// DATABASE_ACQUIRE_TIMEOUT, default 10000 ms: wait for a pool connection.
	AcquireTimeout Millis `env:"DATABASE_ACQUIRE_TIMEOUT" envDefault:"10000" unit:"ms" doc:"longest wait for a pool connection; past it the request gets 503 with Retry-After"`
	// DATABASE_STATEMENT_TIMEOUT, default 30000 ms: server-side statement_timeout.
	StatementTimeout Millis `env:"DATABASE_STATEMENT_TIMEOUT" envDefault:"30000" unit:"ms" doc:"Postgres statement_timeout of every pool connection"`
	// DATABASE_REPLICA_URLS, default none: streaming replicas for reads.
	ReplicaURLs string `env:"DATABASE_REPLICA_URLS" envDefault:"" unit:"urls" doc:"comma list of postgres:// DSNs of streaming replicas of DATABASE_URL: lists, analytics and the lookups behind the cache read from a healthy one (each gets a pool sized like the primary's), everything else from the primary; this instance reads an organization it just wrote from the primary for DATABASE_REPLICA_MAX_LAG + 250 ms; with no replica healthy, reads go to the primary; empty = everything on DATABASE_URL"`
	// DATABASE_REPLICA_MAX_LAG, default 1000 ms: lag past which a replica is skipped.
	ReplicaMaxLag Millis `env:"DATABASE_REPLICA_MAX_LAG" envDefault:"1000" unit:"ms" doc:"replication lag (checked every 250 ms) past which a replica serves no reads until it catches up; also sets the read-your-writes window"`
}

// replicaURLs is DATABASE_REPLICA_URLS as a list.
func (c DatabaseConfig) replicaURLs() []string {
	var out []string
	for u := range strings.SplitSeq(c.ReplicaURLs, ",") {
		if u = strings.TrimSpace(u); u != "" {
			out = append(out, u)
		}
	}
	return out
}

// SessionConfig is the login session store and its one lifetime.
type SessionConfig struct {
	// SESSION_STORE, default memory: memory (per process) or redis (shared).
	Store string `env:"SESSION_STORE" envDefault:"memory" unit:"memory|redis" doc:"session backend: memory is per process (a cluster needs redis for logins to work on every worker)"`
	// SESSION_TTL, default 86400 s: sliding session lifetime (the stores and
	// the cookie's Max-Age take it from here; no package has another).
	TTL Seconds `env:"SESSION_TTL" envDefault:"86400" unit:"s" doc:"sliding lifetime of a login session: it ends this long after its last use (renewed at most every tenth of it, so between 0.9x and 1x); the cookie's Max-Age follows it. With SESSION_STORE=redis an instance keeps a session in its client-side cache for at most that tenth (a renewal or logout invalidates it sooner)"`
}

// IngestConfig is the post-call webhook path: group commit, signature window, unknown agents.
type IngestConfig struct {
	// INGEST_BATCH_ENABLED, default true: group-commit webhook inserts.
	BatchEnabled bool `env:"INGEST_BATCH_ENABLED" envDefault:"true" unit:"bool" doc:"coalesce concurrent post-call webhooks into one database round trip (group commit)"`
	// INGEST_BATCH_MAX_ROWS, default 256: rows per group commit.
	BatchMaxRows int `env:"INGEST_BATCH_MAX_ROWS" envDefault:"256" unit:"rows" doc:"most rows in one group commit"`
	// INGEST_BATCH_MAX_WAIT, default 2 ms: longest wait to fill a batch.
	BatchMaxWait Millis `env:"INGEST_BATCH_MAX_WAIT" envDefault:"2" unit:"ms" doc:"longest time a webhook waits for others to join its batch"`
	// INGEST_BATCH_MAX_PENDING, default 10000: webhooks waiting at most.
	BatchMaxPending int `env:"INGEST_BATCH_MAX_PENDING" envDefault:"10000" unit:"rows" doc:"webhooks allowed to wait for a batch; past it they get 503 with Retry-After"`
	// WEBHOOK_TOLERANCE, default 300 s: signature timestamp skew accepted.
	WebhookTolerance Seconds `env:"WEBHOOK_TOLERANCE" envDefault:"300" unit:"s" doc:"largest difference between a webhook signature's timestamp (t=) and the server clock; older or newer signatures answer 401 (bounds replays)"`
	// WEBHOOK_NEGATIVE_CACHE_TTL, default 5000 ms: unknown agent ids cached.
	WebhookNegativeCacheTTL Millis `env:"WEBHOOK_NEGATIVE_CACHE_TTL" envDefault:"5000" unit:"ms" doc:"how long a webhook's unknown agent id is remembered in the cache, so a flood of one unknown id is one database read per period; creating the agent drops it at once; 0 = off"`
}

// RealtimeConfig is the WebSocket side: token key, dedicated port, netpoll buffers.
type RealtimeConfig struct {
	// REALTIME_TOKEN_SECRET, default random per start: HMAC key of realtime tokens.
	TokenSecret string `env:"REALTIME_TOKEN_SECRET" envDefault:"" unit:"secret" doc:"HMAC key signing WebSocket tokens; empty = random at start (shared by the workers of one cluster, not by instances)"`
	// REALTIME_PORT, default 0: dedicated WebSocket port (0 = only PORT).
	Port int `env:"REALTIME_PORT" envDefault:"0" unit:"port" doc:"0: /ws/realtime-sync is served on PORT only (hijacked HTTP connections, about 18-25 KB each); N: WebSockets are also served on port N (any path) by a dedicated event-driven listener, about 5 KB each with REALTIME_NETPOLL_BUFFER=1024: the 100k-connection mode. Every cluster worker binds N with SO_REUSEPORT; same authentication as on PORT (?token= or the session cookie)"`
	// REALTIME_MAX_UNSENT_BYTES, default 131072: kernel bytes a non-reading socket may hold.
	MaxUnsentBytes int `env:"REALTIME_MAX_UNSENT_BYTES" envDefault:"131072" unit:"bytes" doc:"bytes the kernel may hold for one WebSocket that its client has not accepted (written, not yet sent: a client that stopped reading); past it the socket is closed with 1013 and counted in ws_dropped_total{reason=\"backpressure\"}, so a client that never reads costs at most this much kernel memory instead of a send buffer Linux grows to megabytes"`
	// REALTIME_NETPOLL_BUFFER, default 0 bytes: netpoll's per-connection buffer.
	NetpollBuffer int `env:"REALTIME_NETPOLL_BUFFER" envDefault:"0" unit:"bytes" doc:"per-connection buffer of every netpoll connection of the process, HTTP included (buffers still grow for larger requests); 0 = netpoll's default (8 KiB in, 4 KiB out); 1024 for the 100k tier"`
}

// HardeningConfig is request limits, browser origins, production checks and the admin listener.
type HardeningConfig struct {
	// DOCUMENT_BODY_LIMIT, default 10485760 bytes: largest document upload.
	DocumentBodyLimit int `env:"DOCUMENT_BODY_LIMIT" envDefault:"10485760" unit:"bytes" doc:"largest document (POST /api/documents, JSON or multipart, plus 64 KiB of multipart framing); larger answers 413"`
	// WEBHOOK_BODY_LIMIT, default 2097152 bytes: largest post-call webhook.
	WebhookBodyLimit int `env:"WEBHOOK_BODY_LIMIT" envDefault:"2097152" unit:"bytes" doc:"largest post-call webhook body (transcripts); larger answers 413"`
	// HTTP_MAX_HEADER_BYTES, default 32768 bytes: request line and headers.
	MaxHeaderBytes int `env:"HTTP_MAX_HEADER_BYTES" envDefault:"32768" unit:"bytes" doc:"largest request line plus headers (nginx's default total is 32 KiB); larger answers 431"`
	// ALLOWED_ORIGINS, default none: browser origins allowed besides the request's own host.
	AllowedOrigins string `env:"ALLOWED_ORIGINS" envDefault:"" unit:"origins" doc:"comma-separated browser origins (scheme://host[:port]) allowed to send state-changing requests and open WebSockets, besides the request's own Host; * = any; a browser request from another origin answers 403 (CSRF). Requests without Origin or Sec-Fetch-Site (non-browser clients) and the signed webhooks are not checked"`
	// APP_ENV, default development: production refuses placeholder secrets.
	AppEnv string `env:"APP_ENV" envDefault:"development" unit:"development|production" doc:"production refuses to start (exit 2) with an empty REALTIME_TOKEN_SECRET or a placeholder secret (change-me, secret, password, ...) in it, SEED_PASSWORD, REDIS_PASSWORD or the DATABASE_URL/REDIS_URL passwords"`
	// ADMIN_ADDR, default none: listener of the /health detail.
	AdminAddr string `env:"ADMIN_ADDR" envDefault:"" unit:"host:port" doc:"serve GET /health (the detailed checks) on this separate listener instead of PORT, e.g. 127.0.0.1:9090; empty = off (/health stays on PORT). /health/live and /health/ready stay on PORT. A cluster worker adds its slot to the port"`
}

// SeedConfig is the in-memory demo data of serve (also set by its flags).
type SeedConfig struct {
	// SEED_ORGS, default 0: organizations created in memory at serve start.
	Orgs int `env:"SEED_ORGS" envDefault:"0" unit:"count" doc:"serve only, no DATABASE_URL: demo organizations created in memory at start (same data in every worker)"`
	// SEED_USERS, default 1: users per seeded organization.
	Users int `env:"SEED_USERS" envDefault:"1" unit:"count" doc:"users per seeded organization"`
	// SEED_AGENTS, default 1: agents per seeded organization.
	Agents int `env:"SEED_AGENTS" envDefault:"1" unit:"count" doc:"agents per seeded organization"`
	// SEED_PASSWORD, default random: password of every seeded user.
	Password string `env:"SEED_PASSWORD" envDefault:"" unit:"secret" doc:"password of every seeded user; empty = random, printed in the seed JSON"`
	// SEED_OUT, default stdout: where serve writes the seed JSON.
	Out string `env:"SEED_OUT" envDefault:"" unit:"path" doc:"file receiving the seed JSON (mode 0600); empty = stdout"`
}

// HostConfig is the host checked against the load tier it is sized for.
type HostConfig struct {
	// TUNING_TIER, default none: load tier whose connections the host must carry.
	TuningTier string `env:"TUNING_TIER" envDefault:"" unit:"1k|10k|100k" doc:"load tier this server is sized for (users, page-load and webhook connections of loadtests/tiers): at start-up each serving process compares RLIMIT_NOFILE, net.core.somaxconn, net.ipv4.tcp_max_syn_backlog, fs.nr_open and fs.file-max with what its share of those connections needs, logs one warning per setting that is off, reports host_setting_ok{key} and a \"host\" check in /health (degraded, never 503); empty = not checked"`
}

// LoginConfig is the login throttle and the proxies trusted to name the client.
type LoginConfig struct {
	// LOGIN_MAX_ATTEMPTS_PER_ACCOUNT, default 5: attempts on one account before it backs off.
	MaxAttemptsPerAccount int `env:"LOGIN_MAX_ATTEMPTS_PER_ACCOUNT" envDefault:"5" unit:"attempts" doc:"login attempts on one account (from all addresses) before it backs off; the back-off refuses only addresses that already failed on the account, so its owner still gets in from another address"`
	// LOGIN_MAX_ATTEMPTS_PER_ADDRESS, default 20: attempts from one client address before it backs off.
	MaxAttemptsPerAddress int `env:"LOGIN_MAX_ATTEMPTS_PER_ADDRESS" envDefault:"20" unit:"attempts" doc:"login attempts from one client address (on all accounts) before it backs off; a success gives its attempt back"`
	// LOGIN_THROTTLE_WINDOW, default 900 s: counters are forgotten this long after the last attempt.
	ThrottleWindow Seconds `env:"LOGIN_THROTTLE_WINDOW" envDefault:"900" unit:"s" doc:"a login counter is forgotten this long after its last attempt (or its back-off, if later); counted in Redis when SESSION_STORE=redis (shared by every worker and instance), else per process"`
	// LOGIN_BACKOFF, default 60 s: first refusal period past a limit.
	Backoff Seconds `env:"LOGIN_BACKOFF" envDefault:"60" unit:"s" doc:"refusal period (429 with Retry-After) once a login limit is reached; doubles with each further attempt, up to LOGIN_BACKOFF_MAX"`
	// LOGIN_BACKOFF_MAX, default 3600 s: longest refusal period.
	BackoffMax Seconds `env:"LOGIN_BACKOFF_MAX" envDefault:"3600" unit:"s" doc:"longest login refusal period"`
	// TRUSTED_PROXIES, default loopback: peers whose forwarding headers name the client.
	TrustedProxies string `env:"TRUSTED_PROXIES" envDefault:"127.0.0.0/8,::1/128" unit:"CIDRs|none" doc:"comma-separated CIDRs (or addresses) of reverse proxies whose X-Forwarded-For / X-Real-IP name the client address (login limits per address); other peers are their own address; none trusts no peer. Behind docker-compose's nginx, add the compose network"`
}

// NegativeTTL is WEBHOOK_NEGATIVE_CACHE_TTL as httpapi.Config takes it:
// negative when off (0).
func (c IngestConfig) NegativeTTL() time.Duration {
	if c.WebhookNegativeCacheTTL == 0 {
		return -1
	}
	return c.WebhookNegativeCacheTTL.D()
}

// Addr is the public listen address.
func (c *Config) Addr() string { return c.HTTP.Host + ":" + strconv.Itoa(c.HTTP.Port) }

// RealtimeAddr is the dedicated WebSocket listen address ("" when
// REALTIME_PORT is 0).
func (c *Config) RealtimeAddr() string {
	if c.Realtime.Port == 0 {
		return ""
	}
	return c.HTTP.Host + ":" + strconv.Itoa(c.Realtime.Port)
}

// Workers resolves CLUSTER_WORKERS (auto = CPU count).
func (c *Config) Workers() int {
	if c.Cluster.Workers == "auto" {
		return runtime.NumCPU()
	}
	n, _ := strconv.Atoi(c.Cluster.Workers)
	return n
}

// Clustered reports whether serve runs the primary/worker supervisor.
func (c *Config) Clustered() bool { return c.Cluster.Enabled && c.Workers() > 1 }

// RedisWanted reports whether any provider asks for Redis.
func (c *Config) RedisWanted() bool {
	return c.Cache.Provider == "redis" || c.Session.Store == "redis" || c.QueueRedis()
}

// QueueRedis reports whether the queue runs on Redis (redis or bull).
func (c *Config) QueueRedis() bool { return c.Queue.Provider == "redis" || c.Queue.Provider == "bull" }

// BusRedis reports whether the event bus runs on Redis: BUS_PROVIDER=redis,
// or auto when any Redis provider is set or REDIS_URL or REDIS_CLUSTER_ADDRS
// is given.
func (c *Config) BusRedis() bool {
	return c.Bus.Provider == "redis" || c.Bus.Provider == "auto" && (c.RedisWanted() || c.Redis.URL != "" || c.Redis.ClusterAddrs != "")
}

// BusShared reports whether the event bus reaches every process (Redis or
// NATS), not only this one.
func (c *Config) BusShared() bool { return c.BusRedis() || c.Bus.Provider == "nats" }

// RedisNeeded reports whether this process connects to Redis at all.
func (c *Config) RedisNeeded() bool { return c.RedisWanted() || c.BusRedis() }

// RedisTarget names the Redis settings in force, for error messages.
func (c *Config) RedisTarget() string {
	if c.Redis.ClusterAddrs != "" {
		return "REDIS_CLUSTER_ADDRS=" + redactURLs(c.Redis.ClusterAddrs)
	}
	if c.Redis.URL != "" {
		return "REDIS_URL=" + redactURL(c.Redis.URL)
	}
	return fmt.Sprintf("REDIS_HOST=%s REDIS_PORT=%d", c.Redis.Host, c.Redis.Port)
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
	return c.Cluster.TestCrash == "startup" || c.Cluster.TestCrash == "startup:"+strconv.Itoa(slot)
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
