// Command loadgen runs the EchoSenseiX load tiers and fixed-rate or
// fixed-connection loads, and compares results.
//
//	loadgen run --tier smoke --url http://127.0.0.1:5000 --seed seed.json --out DIR [--server-pid PID]
//	loadgen fixed --url http://127.0.0.1:8080/ --conns 256 --duration 10s [--warmup 2s] [--json FILE]
//	loadgen rate --url http://127.0.0.1:8080/ --rate 5000 --conns 64 --duration 10s [--json FILE]
//	loadgen compare old.json new.json [--tolerance 10%]   (either may be .json.gz)
//	loadgen report DIR...   (rewrites DIR/report.html from DIR/results.json[.gz])
//	loadgen worker   (internal: one process of a multi-process run, spec on stdin)
//
// Exit codes: 0 thresholds held, 1 thresholds missed or regression, 2 usage
// or setup error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/echosenseix/echosenseix/loadtests/loadgen"
	"github.com/echosenseix/echosenseix/loadtests/tiers"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `usage: loadgen run|fixed|rate|compare|report|worker [flags]   (loadgen CMD -h for flags)`

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return loadgen.ExitUsage
	}
	switch args[0] {
	case "run":
		return runTier(ctx, args[1:], stdout, stderr)
	case "fixed", "rate":
		return runLoad(ctx, args[0], args[1:], stdout, stderr)
	case "compare":
		return compare(args[1:], stdout, stderr)
	case "report":
		return report(args[1:], stderr)
	case "worker":
		return loadgen.WorkerMain(ctx, stdin, stdout)
	}
	fmt.Fprintln(stderr, usage)
	return loadgen.ExitUsage
}

func runTier(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tierName := fs.String("tier", "smoke", "tier: "+strings.Join(tiers.Names(), ", "))
	tiersFile := fs.String("tiers", "", "tiers JSON file (default: the embedded loadtests/tiers/tiers.json)")
	baseURL := fs.String("url", "http://127.0.0.1:5000", "server base URL")
	wsURL := fs.String("ws-url", "", "realtime socket URL (default ws://<url host>/ws/realtime-sync; the server's REALTIME_PORT listener when it has one)")
	seedPath := fs.String("seed", "seed.json", "seed JSON from `echosenseix seed`")
	out := fs.String("out", "", "report directory (default loadtests/reports/<tier>-<timestamp>)")
	pid := fs.Int("server-pid", 0, "server pid: its process tree's CPU time goes in the report")
	procs := fs.Int("processes", 0, "generator processes (default: from the tier and --max-conns)")
	maxConns := fs.Int("max-conns", loadgen.DefaultMaxConnsPerProcess, "connections per generator process")
	hostProfile := fs.String("host-profile", "", "JSON file stating the tuning profile the run is under (written by loadtest); goes in the report header")
	metricsAddr := fs.String("metrics-addr", "", "serve the generator's own /metrics here while it runs, e.g. 127.0.0.1:9465 (default: none)")
	if err := fs.Parse(args); err != nil {
		return loadgen.ExitUsage
	}
	var host *loadgen.HostProfile
	if *hostProfile != "" {
		var err error
		if host, err = loadgen.ReadHostProfile(*hostProfile); err != nil {
			fmt.Fprintln(stderr, "loadgen:", err)
			return loadgen.ExitUsage
		}
	}
	tier, err := tiers.LoadFrom(*tierName, *tiersFile)
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return loadgen.ExitUsage
	}
	seed, err := loadgen.ReadSeed(*seedPath)
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return loadgen.ExitUsage
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join("loadtests", "reports", tier.Name+"-"+time.Now().Format("20060102-150405"))
	}
	fmt.Fprintf(stderr, "loadgen: tier %s: %d users, %.0f requests/s implied (%d processes), %s\n",
		tier.Name, tier.Users, tier.RequestsPerSecond(), max(*procs, tier.Processes(*maxConns)), tier.Duration())
	metrics, code := serveMetrics(ctx, *metricsAddr, stderr)
	if code != 0 {
		return code
	}
	res, err := loadgen.Run(ctx, loadgen.RunConfig{
		TierConfig: loadgen.TierConfig{Tier: tier, BaseURL: *baseURL, WSURL: *wsURL, Seed: seed, ServerPID: *pid,
			Progress: stderr, Metrics: metrics},
		MaxConnsPerProcess: *maxConns, Processes: *procs,
	})
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return loadgen.ExitUsage
	}
	loadgen.Evaluate(res, tier.Thresholds, tier.Realtime, tier.Users)
	res.Host = host
	if err := loadgen.WriteReports(dir, res); err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return loadgen.ExitUsage
	}
	fmt.Fprint(stdout, loadgen.Summary(res))
	fmt.Fprintf(stdout, "\nreport: %s\n", dir)
	return loadgen.ExitCode(res)
}

// serveMetrics serves the generator's /metrics on addr ("" : none).
func serveMetrics(ctx context.Context, addr string, stderr io.Writer) (*loadgen.Metrics, int) {
	if addr == "" {
		return nil, 0
	}
	m := loadgen.NewMetrics()
	got, err := m.Serve(ctx, addr)
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return nil, loadgen.ExitUsage
	}
	fmt.Fprintf(stderr, "loadgen: metrics on http://%s/metrics\n", got)
	return m, 0
}

type headerFlag http.Header

func (h headerFlag) String() string { return "" }
func (h headerFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, ":")
	if !ok {
		return errors.New(`want "Name: value"`)
	}
	http.Header(h).Add(strings.TrimSpace(k), strings.TrimSpace(val))
	return nil
}

func runLoad(ctx context.Context, mode string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(mode, flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "", "http:// URL (required)")
	method := fs.String("method", "GET", "HTTP method")
	body := fs.String("body", "", "request body")
	conns := fs.Int("conns", 64, "connections")
	rate := fs.Float64("rate", 0, "requests per second (rate mode)")
	dur := fs.Duration("duration", 10*time.Second, "measured duration")
	warm := fs.Duration("warmup", 0, "warm-up before measuring")
	pid := fs.Int("server-pid", 0, "server pid (CPU time in the result)")
	jsonOut := fs.String("json", "", "write the result JSON here")
	metricsAddr := fs.String("metrics-addr", "", "serve the generator's own /metrics here while it runs (default: none)")
	hdr := http.Header{}
	fs.Var(headerFlag(hdr), "H", `header "Name: value" (repeatable)`)
	if err := fs.Parse(args); err != nil || *url == "" {
		fmt.Fprintln(stderr, "loadgen: --url is required")
		return loadgen.ExitUsage
	}
	var b []byte
	if *body != "" {
		b = []byte(*body)
	}
	metrics, code := serveMetrics(ctx, *metricsAddr, stderr)
	if code != 0 {
		return code
	}
	var res *loadgen.Result
	var err error
	if mode == "fixed" {
		res, err = loadgen.RunFixed(ctx, loadgen.FixedConfig{URL: *url, Method: *method, Header: hdr, Body: b,
			Conns: *conns, Duration: *dur, Warmup: *warm, ServerPID: *pid, Progress: stderr, Metrics: metrics})
	} else {
		res, err = loadgen.RunRate(ctx, loadgen.RateConfig{URL: *url, Method: *method, Header: hdr, Body: b,
			Rate: *rate, Conns: *conns, Duration: *dur, Warmup: *warm, ServerPID: *pid, Progress: stderr, Metrics: metrics})
	}
	if err != nil && res == nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return loadgen.ExitUsage
	}
	fmt.Fprintf(stdout, "%s: %.0f requests/s, %d errors, p50 %.2f ms, p99 %.2f ms, max %.2f ms, generator CPU %.2f s\n",
		res.Name, res.RPS, res.Errors, res.Latency.P50, res.Latency.P99, res.Latency.Max, res.GeneratorCPUSeconds)
	if *jsonOut != "" {
		if err := res.WriteFile(*jsonOut, false); err != nil {
			fmt.Fprintln(stderr, "loadgen:", err)
			return loadgen.ExitUsage
		}
	}
	return loadgen.ExitCode(res)
}

// report regenerates the report.html of each run directory named.
func report(dirs []string, stderr io.Writer) int {
	if len(dirs) == 0 {
		fmt.Fprintln(stderr, "usage: loadgen report DIR...")
		return loadgen.ExitUsage
	}
	for _, dir := range dirs {
		if err := loadgen.WriteHTML(dir); err != nil {
			fmt.Fprintln(stderr, "loadgen:", err)
			return loadgen.ExitUsage
		}
	}
	return 0
}

func compare(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tol := fs.String("tolerance", "10%", "allowed change before a regression (10% or 0.1)")
	var files []string
	for len(args) > 0 { // flags may come after the files
		if err := fs.Parse(args); err != nil {
			return loadgen.ExitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) != 2 {
		fmt.Fprintln(stderr, "usage: loadgen compare old.json new.json [--tolerance 10%]")
		return loadgen.ExitUsage
	}
	t, err := parseTolerance(*tol)
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return loadgen.ExitUsage
	}
	old, err := loadgen.ReadResult(files[0])
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return loadgen.ExitUsage
	}
	cur, err := loadgen.ReadResult(files[1])
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return loadgen.ExitUsage
	}
	if loadgen.PrintDiffs(stdout, loadgen.Compare(old, cur, t)) {
		fmt.Fprintf(stdout, "regressions beyond %s\n", *tol)
		return loadgen.ExitFail
	}
	fmt.Fprintf(stdout, "no regression beyond %s\n", *tol)
	return loadgen.ExitPass
}

func parseTolerance(s string) (float64, error) {
	pct := strings.HasSuffix(s, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("cannot parse tolerance %q", s)
	}
	if pct {
		v /= 100
	}
	return v, nil
}
