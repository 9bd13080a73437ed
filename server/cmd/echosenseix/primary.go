package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/echosenseix/echosenseix/server/cluster"
	"github.com/echosenseix/echosenseix/server/redis"
)

// envSeedPlan names the seed-plan file a cluster primary hands its workers,
// so every worker loads the same in-memory demo data.
const envSeedPlan = "ECHOSENSEIX_SEED_PLAN"

// runPrimary supervises cfg.Workers() worker processes (package cluster).
// Exit code: 0 when every worker left within CLUSTER_SHUTDOWN_TIMEOUT, 1
// otherwise (timeout, second signal, every slot given up).
func runPrimary(cfg *Config, log *slog.Logger) int {
	if err := preflight(cfg, log); err != nil {
		fmt.Fprintf(os.Stderr, "echosenseix: %v\n", err)
		return 1
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "echosenseix: cannot find own executable: %v\n", err)
		return 1
	}
	extra, cleanup, err := workerEnv(cfg, log)
	if err != nil {
		fmt.Fprintf(os.Stderr, "echosenseix: %v\n", err)
		return 1
	}
	defer cleanup()
	p, err := cluster.New(cluster.Config{
		Workers:         cfg.Workers(),
		Addr:            cfg.Addr(),
		ListenMode:      cluster.ListenMode(cfg.Cluster.ListenMode),
		RestartDelay:    nonZeroDelay(cfg.Cluster.RestartDelay.D()),
		MaxRestarts:     cfg.Cluster.MaxRestarts,
		ShutdownTimeout: cfg.Cluster.ShutdownTimeout.D(),
		DrainDelay:      cfg.Cluster.DrainDelay.D(),
		ReadyTimeout:    cfg.Cluster.ReadyTimeout.D(),
		Command:         append([]string{exe}, os.Args[1:]...),
		Env:             append(os.Environ(), extra...),
		Logger:          log,
		Registry:        prometheus.NewRegistry(),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "echosenseix: PORT=%d: %v\n", cfg.HTTP.Port, err)
		return 1
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(sigs)
	if err := p.Run(sigs); err != nil {
		log.Error("cluster stopped", "err", err)
		return 1
	}
	return 0
}

// splitPool shares an instance's pool bounds among its workers: each gets
// its share rounded down (at least one connection), so together they stay
// within the instance's bound.
func splitPool(maxConns, minConns, workers int) (int, int) {
	w := max(workers, 1)
	return max(1, maxConns/w), minConns / w
}

// nonZeroDelay maps CLUSTER_RESTART_DELAY=0 to cluster's "no delay" (< 0).
func nonZeroDelay(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// workerEnv answers the variables every worker gets on top of the
// primary's: one realtime token secret for all of them, and the seed plan.
func workerEnv(cfg *Config, log *slog.Logger) (env []string, cleanup func(), err error) {
	cleanup = func() {}
	if _, set := os.LookupEnv("GOMAXPROCS"); !set {
		// N workers share the cores: one runtime per worker sized to its
		// share measured faster than N runtimes each using every core.
		env = append(env, "GOMAXPROCS="+strconv.Itoa(max(1, runtime.NumCPU()/cfg.Workers())))
	}
	// DATABASE_MAX/MIN_CONNECTIONS are per instance, as the guide means them
	// ("DATABASE_MAX_CONNECTIONS=50 # Per server"): the workers share them,
	// or N workers would open N times the connections Postgres was sized for.
	maxConns, minConns := splitPool(cfg.Database.MaxConnections, cfg.Database.MinConnections, cfg.Workers())
	env = append(env, "DATABASE_MAX_CONNECTIONS="+strconv.Itoa(maxConns), "DATABASE_MIN_CONNECTIONS="+strconv.Itoa(minConns))
	if cfg.Realtime.TokenSecret == "" {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		env = append(env, "REALTIME_TOKEN_SECRET="+hex.EncodeToString(b))
	}
	if cfg.Seed.Orgs == 0 || cfg.Database.URL != "" {
		return env, cleanup, nil
	}
	plan, err := newSeedPlan(cfg.Seed.Orgs, cfg.Seed.Users, cfg.Seed.Agents, cfg.Seed.Password)
	if err != nil {
		return nil, cleanup, err
	}
	if err := writeSeedOut(plan, cfg.Seed.Out); err != nil {
		return nil, cleanup, err
	}
	f, err := os.CreateTemp("", "echosenseix-seed-*.json")
	if err != nil {
		return nil, cleanup, fmt.Errorf("cannot create seed plan file: %w", err)
	}
	f.Close()
	if err := writeSeedOut(plan, f.Name()); err != nil {
		os.Remove(f.Name())
		return nil, cleanup, err
	}
	log.Info("seed plan for the workers", "organizations", len(plan.Organizations))
	return append(env, envSeedPlan+"="+f.Name()), func() { os.Remove(f.Name()) }, nil
}

// preflight checks, once for the whole cluster, what every worker will need
// (Redis reachable, database reachable and migrated), so a misconfiguration
// fails with one line instead of a restart loop.
func preflight(cfg *Config, log *slog.Logger) error {
	if cfg.Session.Store == "memory" {
		log.Warn("SESSION_STORE=memory with cluster workers: a session is known only to the worker that created it; set SESSION_STORE=redis for logins that work on every worker")
	}
	if !cfg.BusShared() {
		log.Warn("memory event bus with cluster workers: a realtime event (call_completed, sync progress) reaches only the sockets of the worker that made it; set REDIS_URL so every worker (and instance) fans it out")
	}
	if cfg.RedisNeeded() {
		rcfg, err := cfg.Redis.redisConfig(cfg.Cache)
		if err != nil {
			return err
		}
		rc, err := redis.NewClient(rcfg)
		if err != nil {
			return fmt.Errorf("redis unreachable (%s, wanted by %s): %w", cfg.RedisTarget(), redisWanters(cfg), err)
		}
		rc.Close()
	}
	if err := preflightBrokers(cfg, log); err != nil {
		return err
	}
	if cfg.Database.URL == "" {
		log.Warn("DATABASE_URL is empty: workers serve from in-memory stores; NOTHING IS PERSISTED and each worker has its own data")
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db, err := openDB(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Migrate(ctx)
}
