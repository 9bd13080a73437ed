package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/echosenseix/echosenseix/server/cluster"
)

// serveCmd runs the primary (clustered) or one server process.
func serveCmd(args []string) int {
	cfg, err := loadConfig(environMap(os.Environ()))
	if err != nil {
		exitConfig(err)
	}
	if code := serveFlags(cfg, args); code >= 0 {
		return code
	}
	worker, err := cluster.WorkerFromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "echosenseix: %v\n", err)
		return 2
	}
	if worker == nil && cfg.Clustered() {
		return runPrimary(cfg, newLogger(cfg.Ops.LogLevel, "role", "primary"))
	}
	if worker != nil {
		return runServer(cfg, newLogger(cfg.Ops.LogLevel, "role", "worker", "slot", worker.Slot, "pid", os.Getpid()), worker)
	}
	return runServer(cfg, newLogger(cfg.Ops.LogLevel, "pid", os.Getpid()), nil)
}

// serveFlags applies serve's flags over cfg; it answers an exit code when
// serve must stop (bad flag), -1 otherwise.
func serveFlags(cfg *Config, args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.IntVar(&cfg.Seed.Orgs, "seed-orgs", cfg.Seed.Orgs, "in-memory mode: demo organizations to create at start (SEED_ORGS)")
	fs.IntVar(&cfg.Seed.Users, "seed-users", cfg.Seed.Users, "users per seeded organization (SEED_USERS)")
	fs.IntVar(&cfg.Seed.Agents, "seed-agents", cfg.Seed.Agents, "agents per seeded organization (SEED_AGENTS)")
	fs.StringVar(&cfg.Seed.Password, "seed-password", cfg.Seed.Password, "password of every seeded user; default random (SEED_PASSWORD)")
	fs.StringVar(&cfg.Seed.Out, "seed-out", cfg.Seed.Out, "file receiving the seed JSON; default stdout (SEED_OUT)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "echosenseix: serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if err := cfg.validate(); err != nil {
		exitConfig(err)
	}
	return -1
}

// runServer serves until SIGTERM/SIGINT, then drains: readiness 503 at
// once, SHUTDOWN_DRAIN_DELAY of serving on (SIGTERM only), then the
// listeners close and in-flight work finishes within
// CLUSTER_SHUTDOWN_TIMEOUT (exit 0), else exit 1; a second signal exits 1
// at once. A cluster worker also takes cluster.RetireSignal (replaced in a
// rolling restart): no delay and no readiness flip. worker is nil outside
// a cluster.
func runServer(cfg *Config, log *slog.Logger, worker *cluster.Worker) int {
	if worker != nil && cfg.crashAtStartup(worker.Slot) {
		log.Error("CLUSTER_TEST_CRASH: exiting before serving", "hook", cfg.Cluster.TestCrash)
		return 3
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	if worker != nil {
		signal.Notify(sigs, cluster.RetireSignal)
	}
	signal.Ignore(syscall.SIGHUP)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := tuneNetpoll(cfg); err != nil {
		fmt.Fprintf(os.Stderr, "echosenseix: %v\n", err)
		return 1
	}
	stopTracing, err := startTracing(cfg, log, worker)
	if err != nil {
		fmt.Fprintf(os.Stderr, "echosenseix: %v\n", err)
		return 1
	}
	defer flushTracing(stopTracing, log)
	ln, err := listen(cfg, worker)
	if err != nil {
		fmt.Fprintf(os.Stderr, "echosenseix: %v\n", err)
		return 1
	}
	rtln, err := listenRealtime(cfg, worker)
	if err != nil {
		ln.Close()
		fmt.Fprintf(os.Stderr, "echosenseix: %v\n", err)
		return 1
	}
	a, err := buildApp(ctx, cfg, log, worker, ln)
	if err != nil {
		ln.Close()
		if rtln != nil {
			rtln.Close()
		}
		fmt.Fprintf(os.Stderr, "echosenseix: %v\n", err)
		return 1
	}
	stopPprof := startPprof(cfg, log, worker)
	defer stopPprof()
	stopAdmin, err := startAdmin(cfg, log, worker, a.http)
	if err != nil {
		a.close(log)
		fmt.Fprintf(os.Stderr, "echosenseix: %v\n", err)
		return 1
	}
	defer stopAdmin()
	served := make(chan error, 1)
	go func() { served <- a.http.Run() }()
	var rtServed <-chan error // nil (never ready) without REALTIME_PORT
	if rtln != nil {
		rtServed = a.serveRealtime(rtln, log)
	}
	if worker != nil {
		if err := worker.Ready(); err != nil {
			log.Error("cannot report ready", "err", err)
		}
	}
	log.Info("serving", "addr", ln.Addr().String(), "version", version)
	select {
	case err := <-served:
		log.Error("http server stopped", "err", err)
		a.close(log)
		return 1
	case err := <-rtServed:
		log.Error("realtime listener stopped", "err", err)
		sctx, scancel := context.WithTimeout(context.Background(), cfg.Cluster.ShutdownTimeout.D())
		_ = a.http.Shutdown(sctx)
		scancel()
		a.close(log)
		return 1
	case sig := <-sigs:
		return drain(a, log, drainPlan{sig: sig, delay: cfg.Cluster.DrainDelay.D(), timeout: cfg.Cluster.ShutdownTimeout.D()}, sigs, served)
	}
}

// drainPlan is how a signal stops the process.
type drainPlan struct {
	sig     os.Signal
	delay   time.Duration // SHUTDOWN_DRAIN_DELAY
	timeout time.Duration // CLUSTER_SHUTDOWN_TIMEOUT
}

// drain shuts the app down in order; a second signal exits at once.
//
// SIGTERM: readiness turns 503 and every response says "Connection:
// close", while the listener keeps accepting for the drain delay, long
// enough for a balancer's health check (or Kubernetes' endpoint removal)
// to take the instance out; only then does the listener close (the
// connections still in its accept queue would otherwise be reset) and
// in-flight requests, realtime sockets (1012), the group commit and the
// queue get the shutdown timeout. SIGINT skips the delay; the retire
// signal of a rolling restart skips it and keeps readiness at 200.
func drain(a *app, log *slog.Logger, p drainPlan, sigs <-chan os.Signal, served <-chan error) int {
	retire := p.sig == cluster.RetireSignal
	delay := p.delay
	if p.sig != syscall.SIGTERM {
		delay = 0
	}
	log.Info("shutting down", "signal", p.sig.String(), "drain_delay", delay.String(), "timeout", p.timeout.String(), "retire", retire)
	if !retire {
		a.http.SetDraining()
	}
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case s := <-sigs:
			t.Stop()
			log.Error("second signal during the drain delay: exiting at once", "signal", s.String())
			return 1
		case err := <-served:
			t.Stop()
			log.Error("http server stopped during the drain delay", "err", err)
			a.close(log)
			return 1
		}
		log.Info("drain delay over: closing listeners")
	}
	done := make(chan error, 1)
	start := time.Now()
	deadline := start.Add(p.timeout)
	go func() {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		defer cancel()
		var err error
		if retire {
			err = a.http.Retire(ctx)
		} else {
			err = a.http.Shutdown(ctx)
		}
		log.Info("http drained", "in", time.Since(start).String(), "err", err)
		select {
		case <-served:
		case <-time.After(time.Second):
			log.Warn("http server did not return after shutdown")
		}
		a.closeUntil(deadline, log)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			log.Error("shutdown deadline passed", "err", err)
			return 1
		}
		log.Info("shut down cleanly")
		return 0
	case s := <-sigs:
		log.Error("second signal: exiting at once", "signal", s.String())
		return 1
	}
}

// listen answers the public listener: the cluster's (shared socket or
// SO_REUSEPORT) for a worker, a plain one otherwise.
func listen(cfg *Config, worker *cluster.Worker) (net.Listener, error) {
	if worker != nil {
		return worker.Listen(cfg.Addr())
	}
	ln, err := cluster.Listen(context.Background(), cfg.Addr())
	if err != nil {
		return nil, fmt.Errorf("PORT=%s: %w", strconv.Itoa(cfg.HTTP.Port), err)
	}
	return ln, nil
}
