package main

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/echosenseix/echosenseix/internal/proc"
	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/loadtests/capacity"
	"github.com/echosenseix/echosenseix/loadtests/loadgen"
	"github.com/echosenseix/echosenseix/loadtests/tiers"
)

// defaultChecks are committed tier runs the planner is checked against
// besides the smoke run make capacity makes itself.
const defaultChecks = "loadtests/results/1k-20261128T091051Z,loadtests/results/10k-20261128T090340Z,loadtests/results/scaled20k-20261128T084004Z"

// runCapacity is `loadtest capacity`: the unit costs of one or two server
// binaries (measured one after the other in the same run), the smoke tier
// against the planner, and the report under -out/capacity-<timestamp>/.
func runCapacity(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadtest capacity", flag.ContinueOnError)
	fs.SetOutput(stderr)
	srv := fs.String("server", "bin/echosenseix", "server binary measured (the candidate)")
	base := fs.String("baseline", "", "a second server binary measured first in the same run (the before of a change)")
	lg := fs.String("loadgen", "bin/loadgen", "load generator binary (the smoke check)")
	out := fs.String("out", "loadtests/results", "report root")
	mode := fs.String("mode", "memory", "server providers: memory (one process, the smoke and 1k tiers) or redis (cache, sessions, queue and bus in Redis: the 10k and 100k tiers' per-process cost)")
	window := fs.Duration("window", 4*time.Second, "each request phase")
	idle := fs.Duration("idle", 31*time.Second, "idle-socket phase (one heartbeat round at the default 30 s ping interval)")
	sockets := fs.Int("sockets", 1000, "sockets of the connect, idle and frame phases (one organization)")
	rate := fs.Float64("frame-rate", 10, "webhooks/s of the frame phase (each a frame to every socket)")
	strace := fs.Bool("strace", true, "count the server's write system calls per frame with strace -c (when installed)")
	smoke := fs.Bool("smoke", true, "run the smoke tier after and check the planner against it")
	checks := fs.String("checks", defaultChecks, "comma-separated committed tier run directories (results.json.gz) to check the planner against")
	if err := fs.Parse(args); err != nil {
		return loadgen.ExitUsage
	}
	if *mode != "memory" && *mode != "redis" {
		fmt.Fprintf(stderr, "loadtest capacity: -mode %q: want memory or redis\n", *mode)
		return loadgen.ExitUsage
	}
	dir := filepath.Join(*out, "capacity-"+time.Now().UTC().Format("20060102T150405Z"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(stderr, "loadtest capacity:", err)
		return loadgen.ExitUsage
	}
	opts := capacity.Options{Window: *window, IdleWindow: *idle, Sockets: *sockets, FrameRate: *rate, Log: stderr}
	var res capacity.Results
	bins := []struct{ label, bin string }{{"after", *srv}}
	if *base != "" {
		bins = []struct{ label, bin string }{{"before", *base}, {"after", *srv}}
	} else {
		bins[0].label = "server"
	}
	for _, b := range bins {
		o := opts
		if *strace {
			o.StraceDir = filepath.Join(dir, b.label)
			_ = os.MkdirAll(o.StraceDir, 0o755)
		}
		m, err := measureBinary(ctx, b.bin, *mode, o, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "loadtest capacity: %s: %v\n", b.bin, err)
			return loadgen.ExitUsage
		}
		m.Label = b.label + " (" + *mode + ")"
		if o.StraceDir != "" {
			pprofTops(b.bin, o.StraceDir, stderr)
		}
		res.Models = append([]capacity.Model{m}, res.Models...) // the candidate first
	}
	model := res.Models[0]
	var dirs []string
	if *smoke {
		if d, err := runSmoke(ctx, *srv, *lg, dir, stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "loadtest capacity: smoke:", err)
		} else {
			dirs = append(dirs, d)
		}
	}
	for d := range strings.SplitSeq(*checks, ",") {
		if d = strings.TrimSpace(d); d != "" {
			dirs = append(dirs, d)
		}
	}
	for _, d := range dirs {
		c, err := checkTier(model, d)
		if err != nil {
			fmt.Fprintln(stderr, "loadtest capacity: check:", err)
			continue
		}
		res.Checks = append(res.Checks, c)
	}
	var extra strings.Builder
	for _, name := range []string{"100k"} {
		t, err := tiers.Load(name)
		if err != nil {
			continue
		}
		h := capacity.Host{Cores: 2, MemoryBytes: 23 << 30}
		fmt.Fprintf(&extra, "## The planner: tier %s on hosts of 2 cores\n\n```\n", name)
		capacity.Predict(model, capacity.FromTier(t), h).Print(&extra, h)
		extra.WriteString("```\n")
	}
	if err := capacity.Write(dir, res, extra.String()); err != nil {
		fmt.Fprintln(stderr, "loadtest capacity:", err)
		return loadgen.ExitUsage
	}
	if b, err := json.MarshalIndent(model, "", " "); err == nil {
		_ = os.WriteFile(filepath.Join(dir, "model.json"), b, 0o644)
	}
	fmt.Fprintf(stdout, "capacity: report in %s/report.md (copy model.json to loadtests/capacity/model.json to make it the planner's default)\n", dir)
	return loadgen.ExitPass
}

// capacityTier is the server of the measurement: one process, the
// dedicated realtime listener (the 100k tier's socket path), two
// organizations.
func capacityTier(mode string) tiers.Tier {
	t, _ := tiers.Load("smoke")
	t.Seed = tiers.Seed{Orgs: 2, UsersPerOrg: 20, AgentsPerOrg: 3}
	t.Server.RealtimePort = true
	if mode == "redis" {
		t.Server.CacheProvider, t.Server.QueueProvider, t.Server.SessionStore = "redis", "redis", "redis"
	}
	return t
}

// measureBinary starts bin on a fresh database and measures its unit costs.
func measureBinary(ctx context.Context, bin, mode string, o capacity.Options, stderr io.Writer) (capacity.Model, error) {
	var done cleanup
	defer func() { done.run() }()
	t := capacityTier(mode)
	env, err := serverEnv(ctx, t, &done)
	if err != nil {
		return capacity.Model{}, err
	}
	port, err := loadgen.FreePort()
	if err != nil {
		return capacity.Model{}, err
	}
	rt, err := loadgen.FreePort()
	if err != nil {
		return capacity.Model{}, err
	}
	pp, err := loadgen.FreePort()
	if err != nil {
		return capacity.Model{}, err
	}
	env = append(env, "PPROF_ADDR=127.0.0.1:"+strconv.Itoa(pp), "PORT="+strconv.Itoa(port), "REALTIME_PORT="+strconv.Itoa(rt), "REALTIME_NETPOLL_BUFFER=1024",
		"LOGIN_MAX_ATTEMPTS_PER_ACCOUNT=10000", "LOGIN_MAX_ATTEMPTS_PER_ADDRESS=10000", "LOG_LEVEL=warn")
	tmp, err := os.MkdirTemp("", "capacity-")
	if err != nil {
		return capacity.Model{}, err
	}
	done.add(func() { _ = os.RemoveAll(tmp) })
	seedPath := filepath.Join(tmp, "seed.json")
	if err := prepare(ctx, bin, env, t, seedPath, tmp, stderr); err != nil {
		return capacity.Model{}, err
	}
	sd, err := loadgen.ReadSeed(seedPath)
	if err != nil {
		return capacity.Model{}, err
	}
	cmd, err := startServer(bin, env, filepath.Join(tmp, "server.log"))
	if err != nil {
		return capacity.Model{}, err
	}
	done.add(func() { stopServer(cmd, stderr) })
	baseURL := "http://127.0.0.1:" + strconv.Itoa(port)
	if err := waitReady(ctx, baseURL+"/health/ready", 60*time.Second); err != nil {
		return capacity.Model{}, err
	}
	target := capacity.Target{BaseURL: baseURL, WSURL: "ws://127.0.0.1:" + strconv.Itoa(rt) + "/ws/realtime-sync",
		ServerPID: cmd.Process.Pid, Seed: sd, PprofURL: "http://127.0.0.1:" + strconv.Itoa(pp)}
	if mode == "redis" {
		if r, err := stack.RedisBase(); err == nil {
			target.RedisAddr, target.RedisPassword = r.Addr, r.Password
		}
	}
	fmt.Fprintf(stderr, "capacity: measuring %s (pid %d, %s mode)\n", bin, cmd.Process.Pid, mode)
	m, err := capacity.Measure(ctx, target, o)
	m.ServerID = bin
	mc := proc.HostMachine()
	m.Machine = fmt.Sprintf("%d CPU (%s), %.1f GiB, kernel %s", runtime.NumCPU(), mc.CPUModel, float64(mc.MemBytes)/(1<<30), mc.Kernel)
	return m, err
}

// runSmoke runs the smoke tier into dir and answers its report directory.
func runSmoke(ctx context.Context, srv, lg, dir string, stdout, stderr io.Writer) (string, error) {
	t, err := tiers.Load("smoke")
	if err != nil {
		return "", err
	}
	o := options{server: srv, loadgen: lg, reports: dir}
	if code, err := runTier(ctx, o, t, stdout, stderr); err != nil || code == loadgen.ExitUsage {
		return "", fmt.Errorf("smoke tier: exit %d: %v", code, err)
	}
	m, _ := filepath.Glob(filepath.Join(dir, "smoke-*"))
	if len(m) == 0 {
		return "", fmt.Errorf("no smoke report in %s", dir)
	}
	for _, f := range []string{"seed.json", "seed.log", "server.log"} {
		_ = os.Remove(filepath.Join(m[0], f)) // the report keeps summaries only
	}
	if err := gzipFile(filepath.Join(m[0], "results.json")); err != nil {
		return "", err
	}
	return m[0], nil
}

// checkTier predicts the tier of the run in dir with model and sets the
// prediction beside the run's measured CPU.
func checkTier(model capacity.Model, dir string) (capacity.Check, error) {
	path := filepath.Join(dir, "results.json.gz")
	if _, err := os.Stat(path); err != nil {
		path = filepath.Join(dir, "results.json")
	}
	r, err := readTierResult(path)
	if err != nil {
		return capacity.Check{}, err
	}
	raw, _ := json.Marshal(r.Tier)
	var t tiers.Tier
	if err := json.Unmarshal(raw, &t); err != nil || t.Users == 0 {
		return capacity.Check{}, fmt.Errorf("%s: no tier definition in the results", dir)
	}
	if len(t.PageLoad) == 0 {
		st, _ := tiers.Load("smoke")
		t.PageLoad = st.PageLoad
	}
	p := capacity.Predict(model, capacity.FromTier(t), capacity.Host{})
	ps, pg := p.RunAverage(model.BaselineServerCores*float64(max(1, t.Server.ClusterWorkers)), t.HoldSeconds)
	secs := t.RampSeconds + t.HoldSeconds
	c := capacity.Check{Tier: t.Name, Source: dir, PredictedServer: ps, PredictedGenerator: pg,
		MeasuredServer: r.ServerCPUSeconds / secs, MeasuredGenerator: r.GeneratorCPUSeconds / secs}
	c.ServerErrorRatio = ps/max(c.MeasuredServer, 1e-9) - 1
	c.GeneratorErrorRatio = pg/max(c.MeasuredGenerator, 1e-9) - 1
	var notes []string
	if t.Server.NeedsRedis() && !strings.Contains(model.Label, "redis") {
		notes = append(notes, "tier runs on Redis, model measured in memory mode")
	}
	if t.Server.ClusterWorkers > 1 {
		notes = append(notes, fmt.Sprintf("%d workers", t.Server.ClusterWorkers))
	}
	if abs(c.ServerErrorRatio) > 0.15 {
		top := p.Dominant()
		notes = append(notes, fmt.Sprintf("off by more than 15%%: %+.2f cores not attributed to a measured unit (largest predicted: %s %.2f, %s %.2f)",
			c.MeasuredServer-ps, top[0].Unit, top[0].ServerCores, top[1].Unit, top[1].ServerCores))
	}
	c.Note = strings.Join(notes, "; ")
	return c, nil
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// readTierResult reads a tier run's results.json or results.json.gz.
func readTierResult(path string) (*loadgen.Result, error) {
	if !strings.HasSuffix(path, ".gz") {
		return loadgen.ReadResult(path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	var r loadgen.Result
	if err := json.NewDecoder(zr).Decode(&r); err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	return &r, nil
}

// pprofTops turns every CPU profile in dir into its top-25 text (go tool
// pprof) and removes the profile: the results keep summaries.
func pprofTops(bin, dir string, stderr io.Writer) {
	profiles, _ := filepath.Glob(filepath.Join(dir, "*.pprof"))
	for _, p := range profiles {
		out, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=25", bin, p).Output()
		if err != nil {
			fmt.Fprintf(stderr, "capacity: cannot read %s: %v (kept)\n", p, err)
			continue
		}
		if os.WriteFile(strings.TrimSuffix(p, ".pprof")+"-top.txt", out, 0o644) == nil {
			_ = os.Remove(p)
		}
	}
}

// gzipFile replaces path by path.gz.
func gzipFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	f, err := os.Create(path + ".gz")
	if err != nil {
		return err
	}
	zw := gzip.NewWriter(f)
	if _, err := zw.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Remove(path)
}
