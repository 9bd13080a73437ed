package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/rueidis"

	"github.com/echosenseix/echosenseix/server"
	usecase "github.com/echosenseix/echosenseix/server/app"
	"github.com/echosenseix/echosenseix/server/cluster"
	"github.com/echosenseix/echosenseix/server/httpapi"
	"github.com/echosenseix/echosenseix/server/inmem"
	"github.com/echosenseix/echosenseix/server/internal/auth"
	"github.com/echosenseix/echosenseix/server/internal/groupcommit"
	"github.com/echosenseix/echosenseix/server/internal/shed"
	"github.com/echosenseix/echosenseix/server/postgres"
	"github.com/echosenseix/echosenseix/server/realtime"
	"github.com/echosenseix/echosenseix/server/redis"
)

// closeTimeout bounds the teardown after the HTTP server stopped; a drain
// gives it what is left of CLUSTER_SHUTDOWN_TIMEOUT, but never less than
// minCloseTimeout (the batcher's last flush must get its chance).
const (
	closeTimeout    = 10 * time.Second
	minCloseTimeout = 3 * time.Second
)

// stores are the persistence adapters (Postgres or memory).
type stores interface {
	server.OrganizationStore
	server.UserStore
	server.AgentStore
	server.AgentLookup
	server.CallLogStore
	server.DocumentStore
}

// collectorser is the optional ability of an adapter to export metrics.
type collectorser interface {
	Collectors() []prometheus.Collector
}

// app is one server process: its adapters, in teardown order.
type app struct {
	svc     *usecase.Service
	http    *httpapi.Server
	hub     *realtime.Hub
	ingest  *groupcommit.Batcher
	queue   server.Queue
	bus     server.Bus
	cache   server.Cache
	rc      rueidis.Client
	busRC   rueidis.Client // the event bus' own connection (see openProviders)
	db      *postgres.DB
	worker  *cluster.Worker
	metrics []prometheus.Collector // of the adapters, registered by buildApp
}

// buildApp wires every provider from cfg and the HTTP API on ln.
func buildApp(ctx context.Context, cfg *Config, log *slog.Logger, worker *cluster.Worker, ln net.Listener) (*app, error) {
	a := &app{worker: worker}
	if err := a.build(ctx, cfg, log, ln); err != nil {
		a.close(log)
		return nil, err
	}
	return a, nil
}

func (a *app) build(ctx context.Context, cfg *Config, log *slog.Logger, ln net.Listener) error {
	if err := a.openRedis(cfg, log); err != nil {
		return err
	}
	st, err := a.openStores(ctx, cfg, log)
	if err != nil {
		return err
	}
	if err := a.openProviders(cfg, log, st); err != nil {
		return err
	}
	if err := seedAtStart(ctx, cfg, log, st); err != nil {
		return err
	}
	return a.openHTTP(cfg, log, st, ln)
}

// openRedis connects when any provider (or the bus) needs Redis; an
// unreachable Redis stops start-up, never a silent fallback.
func (a *app) openRedis(cfg *Config, log *slog.Logger) error {
	if !cfg.RedisNeeded() {
		return nil
	}
	rcfg, err := cfg.Redis.redisConfig(cfg.Cache)
	if err != nil {
		return err
	}
	rc, err := redis.NewClient(rcfg)
	if err != nil {
		return fmt.Errorf("redis unreachable (%s, wanted by %s): %w", cfg.RedisTarget(), redisWanters(cfg), err)
	}
	a.rc = rc
	if len(rcfg.Cluster) > 0 {
		log.Info("redis cluster connected", "seeds", strings.Join(rcfg.Cluster, ","))
	} else {
		log.Info("redis connected", "addr", rcfg.Addr, "db", rcfg.DB)
	}
	return nil
}

// redisWanters names the settings that asked for Redis.
func redisWanters(cfg *Config) string {
	s := ""
	add := func(ok bool, name string) {
		if ok {
			if s != "" {
				s += ", "
			}
			s += name
		}
	}
	add(cfg.Cache.Provider == "redis", "CACHE_PROVIDER=redis")
	add(cfg.QueueRedis(), "QUEUE_PROVIDER="+cfg.Queue.Provider)
	add(cfg.Session.Store == "redis", "SESSION_STORE=redis")
	add(s == "" && cfg.Redis.ClusterAddrs != "", "REDIS_CLUSTER_ADDRS (event bus)")
	add(cfg.Bus.Provider == "redis", "BUS_PROVIDER=redis")
	add(s == "" && cfg.Redis.URL != "", "REDIS_URL (event bus)")
	return s
}

// openStores opens Postgres (and migrates under the advisory lock) or says
// loudly that nothing is persisted.
func (a *app) openStores(ctx context.Context, cfg *Config, log *slog.Logger) (stores, error) {
	if cfg.Database.URL == "" {
		log.Warn("DATABASE_URL is empty: serving from in-memory stores; NOTHING IS PERSISTED and each process (cluster worker) has its own data")
		return inmem.NewStore(), nil
	}
	db, err := openDB(ctx, cfg.Database)
	if err != nil {
		return nil, err
	}
	a.db = db
	a.metrics = append(a.metrics, db.Collectors()...)
	mctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := db.Migrate(mctx); err != nil {
		return nil, err
	}
	return db.Store(), nil
}

// openProviders builds cache, sessions, bus, queue, ingester and hub.
func (a *app) openProviders(cfg *Config, log *slog.Logger, st stores) error {
	rcfg, err := cfg.Redis.redisConfig(cfg.Cache)
	if err != nil {
		return err
	}
	if cfg.Cache.Provider == "redis" {
		a.cache = redis.NewCache(a.rc, rcfg)
	} else {
		a.cache = inmem.NewCache(inmem.CacheConfig{MaxSize: cfg.Cache.MaxSize, TTL: cfg.Cache.TTL.D()})
	}
	switch {
	case cfg.Bus.Provider == "nats":
		bus, err := newNATSBus(cfg, a.worker, log)
		if err != nil {
			return err
		}
		a.bus = bus
	case cfg.BusRedis():
		// The bus has a client of its own with a patient reply timeout: pub/sub
		// delivers at most once, so a subscription dropped because a starved
		// process answered Redis' health ping late loses the events published
		// until it resubscribes (seen at 100,000 sockets with the 500 ms
		// timeout of the cache's client). Cache calls keep their short timeout.
		bcfg := rcfg
		bcfg.DisableLocalCache = true
		bcfg.ReadTimeout = busReadTimeout
		brc, err := redis.NewClient(bcfg)
		if err != nil {
			return fmt.Errorf("redis unreachable (%s, wanted by the event bus): %w", cfg.RedisTarget(), err)
		}
		a.busRC = brc
		bus, err := redis.NewBus(brc, rcfg, log)
		if err != nil {
			return fmt.Errorf("cannot subscribe to the redis event bus (%s): %w", cfg.RedisTarget(), err)
		}
		a.bus = bus
	default:
		a.bus = inmem.NewBus()
	}
	q, err := newQueue(cfg, rcfg, log)
	if err != nil {
		return err
	}
	a.queue = q
	a.ingest = newIngester(cfg.Ingest, st)
	a.hub = realtime.NewHub(realtime.Config{Agents: st, AllowedOrigins: cfg.Hardening.Origins(),
		MaxUnsentBytes: cfg.Realtime.MaxUnsentBytes}, a.bus, nil, log)
	for _, c := range []any{a.cache, a.bus, a.queue, a.ingest, a.hub} {
		if cs, ok := c.(collectorser); ok {
			a.metrics = append(a.metrics, cs.Collectors()...)
		}
	}
	if a.worker != nil && !cfg.BusShared() {
		log.Warn("cluster workers with the memory event bus: realtime events reach only the worker that made them; set REDIS_URL to fan out")
	}
	return nil
}

// sessions answers the session store of cfg.
func (a *app) sessions(cfg *Config, rcfg redis.Config) server.SessionStore {
	if cfg.Session.Store == "redis" {
		return redis.NewSessionStore(a.rc, rcfg, cfg.Session.TTL.D())
	}
	return inmem.NewSessionStore(cfg.Session.TTL.D())
}

// loginThrottle answers the login throttle of cfg: in Redis with the
// sessions (shared by every worker and instance), else in process memory.
func (a *app) loginThrottle(cfg *Config, rcfg redis.Config) server.LoginThrottle {
	if cfg.Session.Store == "redis" {
		return redis.NewLoginThrottle(a.rc, rcfg, cfg.Login.Limits())
	}
	return auth.NewMemoryThrottle(cfg.Login.Limits(), 0)
}

// openHTTP builds the API and its metrics registry.
func (a *app) openHTTP(cfg *Config, log *slog.Logger, st stores, ln net.Listener) error {
	rcfg, _ := cfg.Redis.redisConfig(cfg.Cache)
	secret, err := tokenSecret(cfg.Realtime.TokenSecret)
	if err != nil {
		return err
	}
	var reg *prometheus.Registry
	if cfg.Ops.MetricsEnabled {
		reg = prometheus.NewRegistry()
	}
	var pinger server.Pinger
	if a.db != nil {
		pinger = a.db
	}
	host, err := openHostChecker(cfg, log)
	if err != nil {
		return err
	}
	svc, err := usecase.New(usecase.Config{
		RealtimeTokenSecret: secret,
		CacheTTL:            cfg.Cache.TTL.D(),
		SessionCacheTTL:     sessionMemo(cfg),
		WebhookNegativeTTL:  cfg.Ingest.NegativeTTL(),
		LoginThrottle:       a.loginThrottle(cfg, rcfg),
	}, usecase.Deps{
		Orgs: st, Users: st, Agents: st, Lookup: st, CallLogs: st, Documents: st,
		Sessions: a.sessions(cfg, rcfg), Cache: a.cache, Queue: a.queue, Bus: a.bus,
		Ingester: a.ingest, Sockets: a.hub, Logger: log,
	})
	if err != nil {
		return err
	}
	a.svc = svc
	srv, err := httpapi.New(httpapi.Config{
		Listener:         ln,
		MaxBodySize:      cfg.HTTP.BodyLimit,
		ReadTimeout:      cfg.HTTP.ReadTimeout.D(),
		WriteTimeout:     cfg.HTTP.WriteTimeout.D(),
		HeaderTimeout:    cfg.HTTP.HeaderTimeout.D(),
		MaxConnections:   maxConnections(cfg.HTTP.MaxConnections),
		Overload:         overload(cfg.HTTP),
		IdleTimeout:      cfg.HTTP.IdleTimeout.D(),
		ShutdownTimeout:  cfg.Cluster.ShutdownTimeout.D(),
		CookieSecure:     cfg.HTTP.CookieSecure == "true",
		Version:          version,
		DisableHealth:    !cfg.Ops.HealthCheckEnabled,
		WebhookTolerance: cfg.Ingest.WebhookTolerance.D(),
		// Hardening: limits, origins, where /health is served.
		MaxDocumentSize: cfg.Hardening.DocumentBodyLimit,
		MaxWebhookSize:  cfg.Hardening.WebhookBodyLimit,
		MaxHeaderBytes:  cfg.Hardening.MaxHeaderBytes,
		AllowedOrigins:  cfg.Hardening.Origins(),
		HealthOnAdmin:   cfg.Hardening.AdminAddr != "",
		TrustedProxies:  cfg.Login.TrustedProxyCIDRs(),
	}, httpapi.Deps{
		App: svc, Cache: a.cache, Queue: a.queue,
		Realtime: a.hub, DB: pinger, Registry: reg, Logger: log, Host: host,
	})
	if err != nil {
		return err
	}
	a.http = srv
	if a.hub != nil {
		// Sockets get 1012 while requests drain; hijacked connections would
		// otherwise hold HTTP Shutdown until its deadline.
		srv.OnShutdown(func(ctx context.Context) { _ = a.hub.Shutdown(ctx) })
	}
	if reg != nil {
		if err := a.registerMetrics(reg, srv); err != nil {
			return err
		}
	}
	if a.worker != nil {
		a.addClusterHealth(srv)
	}
	return nil
}

// tokenSecret decodes REALTIME_TOKEN_SECRET (hex when it is, else the raw
// bytes); empty means random (httpapi's default).
func tokenSecret(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	if b, err := hex.DecodeString(s); err == nil && len(b) >= 16 {
		return b, nil
	}
	if len(s) < 16 {
		return nil, &ConfigError{Name: "REALTIME_TOKEN_SECRET", Value: "(hidden)", Want: "at least 16 bytes"}
	}
	return []byte(s), nil
}

// registerMetrics puts every collector on the registry /metrics serves. In
// a cluster worker that registry re-emits the primary's merge instead, and
// the worker's own collectors go on a local registry the primary scrapes
// over the worker's private socket (package cluster).
func (a *app) registerMetrics(public *prometheus.Registry, srv *httpapi.Server) error {
	if a.worker == nil {
		for _, c := range a.metrics {
			if err := public.Register(c); err != nil {
				return fmt.Errorf("cannot register metrics: %w", err)
			}
		}
		return nil
	}
	local := prometheus.NewRegistry()
	own := append([]prometheus.Collector{collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})}, srv.Collectors()...)
	for _, c := range append(own, a.metrics...) {
		public.Unregister(c)
		if err := local.Register(c); err != nil {
			return fmt.Errorf("cannot register metrics: %w", err)
		}
	}
	if err := public.Register(cluster.GathererCollector(a.worker.Gatherer())); err != nil {
		return fmt.Errorf("cannot register cluster metrics: %w", err)
	}
	return a.worker.ServeLocal(local)
}

// addClusterHealth lists the cluster's workers and this process in /health.
func (a *app) addClusterHealth(srv *httpapi.Server) {
	w := a.worker
	self := map[string]int{"slot": w.Slot, "pid": os.Getpid()}
	srv.AddHealthDetail("process", func() any { return self })
	srv.AddHealthDetail("workers", func() any {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		ws, err := w.Workers(ctx)
		if err != nil {
			return map[string]string{"error": err.Error()}
		}
		return ws
	})
}

// close tears down in order: HTTP (already shut down by drain), realtime,
// batcher flush, queue, bus, cache, Redis, pool.
func (a *app) close(log *slog.Logger) {
	a.closeUntil(time.Now().Add(closeTimeout), log)
}

// closeUntil is close with every step bounded by deadline (at least
// minCloseTimeout from now).
func (a *app) closeUntil(deadline time.Time, log *slog.Logger) {
	ctx, cancel := context.WithDeadline(context.Background(), later(deadline, time.Now().Add(minCloseTimeout)))
	defer cancel()
	// Each step is bounded by ctx: a client library that blocks on an
	// unreachable backend (asynq's shutdown with Redis down, say) is left
	// behind rather than keeping the process from exiting.
	step := func(name string, fn func() error) {
		done := make(chan error, 1)
		go func() { done <- fn() }()
		select {
		case err := <-done:
			if err != nil {
				log.Error("teardown step failed", "step", name, "err", err)
			}
		case <-ctx.Done():
			log.Error("teardown step abandoned", "step", name, "err", ctx.Err())
		}
	}
	if a.hub != nil {
		step("realtime", func() error { return a.hub.Shutdown(ctx) })
	}
	if a.ingest != nil {
		step("ingest batcher", func() error { return a.ingest.Close(ctx) })
	}
	if a.queue != nil {
		step("queue", func() error { return a.queue.Close(ctx) })
	}
	closers := []any{a.bus, a.cache, a.busRC, a.rc} // interfaces: nil when unset
	if a.db != nil {
		closers = append(closers, a.db)
	}
	for _, v := range closers {
		if c := closer(v); c != nil {
			step(fmt.Sprintf("close %T", v), c)
		}
	}
	if a.worker != nil {
		step("worker socket", a.worker.Close)
	}
}

// seedAtStart loads in-memory demo data: the cluster primary's plan in a
// worker, or a new plan (printed) in a single process.
func seedAtStart(ctx context.Context, cfg *Config, log *slog.Logger, st stores) error {
	path := os.Getenv(envSeedPlan)
	if cfg.Seed.Orgs == 0 && path == "" {
		return nil
	}
	if cfg.Database.URL != "" {
		log.Warn("SEED_ORGS/--seed-orgs ignored with DATABASE_URL: run `echosenseix seed --orgs N --users U --agents A`")
		return nil
	}
	var plan *seedPlan
	var err error
	if path != "" {
		plan, err = readSeedPlan(path)
	} else {
		plan, err = newSeedPlan(cfg.Seed.Orgs, cfg.Seed.Users, cfg.Seed.Agents, cfg.Seed.Password)
		if err == nil {
			err = writeSeedOut(plan, cfg.Seed.Out)
		}
	}
	if err != nil {
		return err
	}
	if err := plan.apply(ctx, seedStores{Orgs: st, Users: st, Agents: st}); err != nil {
		return err
	}
	log.Info("seeded in-memory demo data", "organizations", len(plan.Organizations))
	return nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// closer returns v's Close (with or without an error), or nil.
func closer(v any) func() error {
	switch c := v.(type) {
	case interface{ Close() error }:
		return c.Close
	case interface{ Close() }:
		return func() error { c.Close(); return nil }
	}
	return nil
}

// busReadTimeout bounds a reply on the event bus' Redis connection.
const busReadTimeout = 5 * time.Second

// sessionMemo is httpapi's per-instance session memo: off with a shared
// (Redis) store, which keeps its own client-side copy that a logout on any
// instance invalidates through Redis tracking (a memo here would outlive
// that invalidation by up to a second); 1 s with the memory store, where
// this instance is the only one that can end it.
func sessionMemo(cfg *Config) time.Duration {
	if cfg.Session.Store == "redis" {
		return -1
	}
	return usecase.DefaultSessionCacheTTL
}

// reservedFiles are the descriptors MAX_CONNECTIONS=0 leaves to the pools,
// listeners and files below the open-file limit.
const reservedFiles = 1024

// maxConnections resolves MAX_CONNECTIONS: 0 is the open-file limit (Go
// raised the soft limit to the hard one at start) less reservedFiles, at
// least 64.
func maxConnections(n int) int {
	if n > 0 {
		return n
	}
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil || l.Cur > 1<<31 {
		return 0 // unknown or unlimited: no bound of our own
	}
	return max(int(l.Cur)-reservedFiles, 64)
}

// overload is the overload limit of cfg, nil when OVERLOAD_SHEDDING=false.
func overload(cfg HTTPConfig) *shed.Config {
	if !cfg.OverloadShedding {
		return nil
	}
	return &shed.Config{Target: cfg.OverloadTarget.D(), Max: cfg.OverloadMax}
}
