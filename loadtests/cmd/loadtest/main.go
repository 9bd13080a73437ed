// Command loadtest runs one load tier end to end (make loadtest TIER=...):
// it gets Postgres (and Redis when the tier's server mode needs it) from the
// stack helper, creates a database, migrates and seeds it with
// bin/echosenseix, starts the server in the tier's mode, waits for
// /health/ready, runs bin/loadgen, writes the report under
// loadtests/reports/<tier>-<timestamp>/, stops everything it started (also
// on failure or Ctrl-C) and exits with loadgen's code (0 pass, 1 thresholds
// missed, 2 setup error).
//
// `loadtest capacity` measures the CPU per unit of work (make capacity) and
// `loadtest plan` turns a workload into cores, memory, descriptors and
// hosts with those costs (package loadtests/capacity).
//
// With -nginx it instead measures the generator against nginx returning a
// static 200, next to wrk when installed (make loadtest-nginx).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/loadtests/loadgen"
	"github.com/echosenseix/echosenseix/loadtests/tiers"
	"github.com/echosenseix/echosenseix/loadtests/tunecli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	tier, tiersFile, server, loadgen, reports string
	port                                      int
	nginx                                     bool
	nginxDuration                             time.Duration
	nginxConns                                int
	// profile is "", defaults or tuned; tune the tuning tool; inNetns and
	// applied are set by the outer run for the one inside the namespace;
	// self is this binary (default os.Executable).
	profile, tune, inNetns, applied, self string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "capacity":
			return runCapacity(ctx, args[1:], stdout, stderr)
		case "plan":
			return runPlan(args[1:], stdout, stderr)
		}
	}
	var o options
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.tier, "tier", "smoke", "tier: smoke, 1k, 10k or 100k")
	fs.StringVar(&o.tiersFile, "tiers", "", "tiers JSON (default: the embedded loadtests/tiers/tiers.json)")
	fs.StringVar(&o.server, "server", "bin/echosenseix", "server binary")
	fs.StringVar(&o.loadgen, "loadgen", "bin/loadgen", "load generator binary")
	fs.StringVar(&o.reports, "reports", "loadtests/reports", "report root")
	fs.IntVar(&o.port, "port", 0, "server port (default: a free one)")
	fs.BoolVar(&o.nginx, "nginx", false, "measure the generator against nginx static 200 (and wrk)")
	fs.DurationVar(&o.nginxDuration, "duration", 5*time.Second, "with -nginx: duration per run")
	fs.IntVar(&o.nginxConns, "conns", 256, "with -nginx: connections")
	fs.StringVar(&o.profile, "profile", "", "tuning profile: empty = the host as is; defaults or tuned = inside a network namespace made for the run with the kernel's defaults or the tier's net.* profile")
	fs.StringVar(&o.tune, "tune", tunecli.DefaultBin, "the tuning tool (tune check for the report header, tune apply --only net for -profile tuned)")
	fs.StringVar(&o.inNetns, "in-netns", "", "internal: set by the run that made the namespace")
	fs.StringVar(&o.applied, "applied", "", "internal: what the outer run set in the namespace")
	fs.StringVar(&o.self, "self", "", "internal: this binary, re-run inside the namespace (default: os.Executable)")
	if err := fs.Parse(args); err != nil {
		return loadgen.ExitUsage
	}
	if o.nginx {
		return runNginx(ctx, o, stdout, stderr)
	}
	if o.profile != "" && o.profile != profileDefaults && o.profile != profileTuned {
		fmt.Fprintf(stderr, "loadtest: -profile %q: want empty, %s or %s\n", o.profile, profileDefaults, profileTuned)
		return loadgen.ExitUsage
	}
	if o.profile != "" && o.inNetns == "" {
		if _, err := tiers.LoadFrom(o.tier, o.tiersFile); err != nil {
			fmt.Fprintln(stderr, "loadtest:", err)
			return loadgen.ExitUsage
		}
		return runInNamespace(ctx, o, args, stdout, stderr)
	}
	tier, err := tiers.LoadFrom(o.tier, o.tiersFile)
	if err != nil {
		fmt.Fprintln(stderr, "loadtest:", err)
		return loadgen.ExitUsage
	}
	code, err := runTier(ctx, o, tier, stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "loadtest:", err)
	}
	return code
}

// cleanup runs registered functions in reverse order.
type cleanup []func()

func (c *cleanup) add(f func()) { *c = append(*c, f) }
func (c cleanup) run() {
	for i := len(c) - 1; i >= 0; i-- {
		c[i]()
	}
}

func runTier(ctx context.Context, o options, tier tiers.Tier, stdout, stderr io.Writer) (int, error) {
	var done cleanup
	defer func() { done.run() }() // not "defer done.run()": that would capture the empty list
	for _, bin := range []string{o.server, o.loadgen} {
		if _, err := os.Stat(bin); err != nil {
			return loadgen.ExitUsage, fmt.Errorf("cannot find %s (run make build): %w", bin, err)
		}
	}
	name := tier.Name
	if o.profile != "" {
		name += "-" + o.profile
	}
	dir := filepath.Join(o.reports, name+"-"+time.Now().Format("20060102-150405"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return loadgen.ExitUsage, fmt.Errorf("cannot create report dir: %w", err)
	}
	env, err := serverEnv(ctx, tier, &done)
	if err != nil {
		return loadgen.ExitUsage, err
	}
	port := o.port
	if port == 0 {
		if port, err = loadgen.FreePort(); err != nil {
			return loadgen.ExitUsage, err
		}
	}
	env = append(env, "PORT="+strconv.Itoa(port))
	if profileTiers[tier.Name] {
		env = append(env, "TUNING_TIER="+tier.Name) // the server checks its host too (/health "host")
	}
	wsURL := ""
	if tier.Server.RealtimePort {
		rt, err := loadgen.FreePort()
		if err != nil {
			return loadgen.ExitUsage, err
		}
		env = append(env, "REALTIME_PORT="+strconv.Itoa(rt))
		if _, set := os.LookupEnv("REALTIME_NETPOLL_BUFFER"); !set {
			env = append(env, "REALTIME_NETPOLL_BUFFER=1024")
		}
		wsURL = "ws://127.0.0.1:" + strconv.Itoa(rt) + "/ws/realtime-sync"
	}
	fmt.Fprintf(stderr, "loadtest: tier %s: migrating and seeding (%d orgs x %d users, %d agents each)\n",
		tier.Name, tier.Seed.Orgs, tier.Seed.UsersPerOrg, tier.Seed.AgentsPerOrg)
	seedPath := filepath.Join(dir, "seed.json")
	if err := prepare(ctx, o.server, env, tier, seedPath, dir, stderr); err != nil {
		return loadgen.ExitUsage, err
	}
	srv, err := startServer(o.server, env, filepath.Join(dir, "server.log"))
	if err != nil {
		return loadgen.ExitUsage, err
	}
	done.add(func() { stopServer(srv, stderr) })
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	if err := waitReady(ctx, base+"/health/ready", 60*time.Second); err != nil {
		return loadgen.ExitUsage, fmt.Errorf("%w (server log: %s)", err, filepath.Join(dir, "server.log"))
	}
	fmt.Fprintf(stderr, "loadtest: server pid %d ready on %s\n", srv.Process.Pid, base)
	hostProfile, err := writeHostProfile(ctx, o, tier.Name, env, dir)
	if err != nil {
		return loadgen.ExitUsage, err
	}
	lgArgs := []string{"run", "--tier", tier.Name, "--url", base, "--seed", seedPath, "--out", dir,
		"--server-pid", strconv.Itoa(srv.Process.Pid), "--host-profile", hostProfile}
	if wsURL != "" {
		lgArgs = append(lgArgs, "--ws-url", wsURL)
	}
	if o.tiersFile != "" {
		lgArgs = append(lgArgs, "--tiers", o.tiersFile)
	}
	lg := exec.CommandContext(ctx, o.loadgen, lgArgs...)
	lg.Stdout, lg.Stderr = stdout, stderr
	lg.Cancel = func() error { return lg.Process.Signal(os.Interrupt) }
	lg.WaitDelay = 30 * time.Second
	err = lg.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return loadgen.ExitPass, nil
	case errors.As(err, &exit) && exit.ExitCode() > 0:
		return exit.ExitCode(), nil
	}
	return loadgen.ExitUsage, fmt.Errorf("cannot run loadgen: %w", err)
}

// serverEnv returns the server's environment for the tier: a fresh
// database (dropped by done) and Redis when a provider needs it.
func serverEnv(ctx context.Context, tier tiers.Tier, done *cleanup) ([]string, error) {
	admin, err := stack.PostgresAdminURL()
	if err != nil {
		return nil, fmt.Errorf("cannot get postgres: %w", err)
	}
	done.add(stack.StopAll)
	dsn, drop, err := stack.CreateDatabase(ctx, admin)
	if err != nil {
		return nil, err
	}
	done.add(drop)
	s := tier.Server
	env := append(os.Environ(),
		"DATABASE_URL="+dsn,
		"CACHE_PROVIDER="+s.CacheProvider,
		"QUEUE_PROVIDER="+s.QueueProvider,
		"SESSION_STORE="+s.SessionStore,
		"CLUSTER_ENABLED="+strconv.FormatBool(s.ClusterEnabled),
		"CLUSTER_WORKERS="+strconv.Itoa(max(s.ClusterWorkers, 1)),
	)
	if _, set := os.LookupEnv("DATABASE_MAX_CONNECTIONS"); !set {
		// The guide's per-server figure: leaves room under Postgres' default
		// max_connections (100) for migrate, seed and the stack helper.
		env = append(env, "DATABASE_MAX_CONNECTIONS=50")
	}
	if s.NeedsRedis() {
		r, err := stack.RedisBase()
		if err != nil {
			return nil, fmt.Errorf("cannot get redis: %w", err)
		}
		env = append(env, "REDIS_URL="+r.URL())
	}
	return env, nil
}

// SeedArgs are the `echosenseix seed` arguments for a tier.
func SeedArgs(t tiers.Tier) []string {
	return []string{"seed", "--orgs", strconv.Itoa(t.Seed.Orgs), "--users", strconv.Itoa(t.Seed.UsersPerOrg),
		"--agents", strconv.Itoa(t.Seed.AgentsPerOrg)}
}

// prepare migrates the database and writes the seed output to seedPath.
func prepare(ctx context.Context, bin string, env []string, tier tiers.Tier, seedPath, dir string, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	mig := exec.CommandContext(ctx, bin, "migrate")
	mig.Env = env
	if out, err := mig.CombinedOutput(); err != nil {
		// serve and seed may migrate by themselves; a real problem shows below.
		fmt.Fprintf(stderr, "loadtest: %s migrate: %v: %s\n", bin, err, out)
	}
	f, err := os.Create(seedPath)
	if err != nil {
		return fmt.Errorf("cannot create seed file: %w", err)
	}
	defer f.Close()
	seed := exec.CommandContext(ctx, bin, SeedArgs(tier)...)
	seed.Env, seed.Stdout = env, f
	logf, err := os.Create(filepath.Join(dir, "seed.log"))
	if err == nil {
		defer logf.Close()
		seed.Stderr = logf
	}
	if err := seed.Run(); err != nil {
		return fmt.Errorf("cannot seed (%s %v): %w", bin, SeedArgs(tier), err)
	}
	if _, err := loadgen.ReadSeed(seedPath); err != nil {
		return err
	}
	return nil
}

// startServer starts `bin serve` in a process group of its own (cluster
// workers included), logging to logPath.
func startServer(bin string, env []string, logPath string) (*exec.Cmd, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("cannot create server log: %w", err)
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env, cmd.Stdout, cmd.Stderr = env, logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("cannot start server: %w", err)
	}
	go func() { _ = cmd.Wait(); logf.Close() }()
	return cmd, nil
}

// stopServer sends SIGTERM to the server's process group, then SIGKILL
// after 15 s.
func stopServer(cmd *exec.Cmd, stderr io.Writer) {
	pgid := cmd.Process.Pid
	if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil {
		fmt.Fprintf(stderr, "loadtest: cannot stop server pid %d: %v\n", pgid, err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if syscall.Kill(-pgid, 0) != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Fprintln(stderr, "loadtest: server did not stop in 15 s; killing it")
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// waitReady polls url until it answers 200.
func waitReady(ctx context.Context, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c := &http.Client{Timeout: 2 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := c.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cannot reach %s: not ready within %s", url, timeout)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
