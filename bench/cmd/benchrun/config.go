package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// config is one benchrun's settings (see the command doc for the variables).
type config struct {
	Quick      bool
	Rounds     int
	Duration   time.Duration
	Warmup     time.Duration
	Count      int
	Benchtime  string
	Skip       string        // go test -skip of the micro run
	Rows       int           // ECHOSENSEIX_BENCH_ROWS for the call-log page benchmark
	Budget     time.Duration // whole run; macro rounds shrink to fit (min 3)
	MicroMax   time.Duration // micro stage is stopped after this
	Pkgs       *regexp.Regexp
	Stages     map[string]bool
	Servers    map[string]bool
	Match      *regexp.Regexp // BENCH_MATCH: only HTTP scenarios whose name matches (nil = all)
	Bin        string         // BENCH_BIN: a prebuilt echosenseix to run instead of building bin/echosenseix
	Driver     string
	Conns      int
	BigConns   int
	Threshold  float64
	Root       string // module root
	OutRoot    string
	Baseline   string
	Timestamp  string
	BuildFlags []string
}

// benchEnv is the BENCH_* variables, parsed by caarlos0/env (as the server
// parses its own). Defaults are set before parsing, by BENCH_QUICK (see
// benchDefaults): a variable left unset keeps its default.
type benchEnv struct {
	Quick     bool          `env:"BENCH_QUICK"`
	Rounds    int           `env:"BENCH_ROUNDS"`
	Count     int           `env:"BENCH_COUNT"`
	Conns     int           `env:"BENCH_CONNS"`
	BigConns  int           `env:"BENCH_BIG_CONNS"`
	Duration  time.Duration `env:"BENCH_DURATION"`
	Warmup    time.Duration `env:"BENCH_WARMUP"`
	Budget    time.Duration `env:"BENCH_BUDGET"`
	MicroMax  time.Duration `env:"BENCH_MICRO_MAX"`
	Benchtime string        `env:"BENCH_BENCHTIME"`
	Skip      string        `env:"BENCH_SKIP"`
	Rows      int           `env:"BENCH_ROWS"`
	Threshold float64       `env:"BENCH_THRESHOLD"`
	Pkgs      string        `env:"BENCH_PKGS"`
	Match     string        `env:"BENCH_MATCH"`
	Bin       string        `env:"BENCH_BIN"`
	Driver    string        `env:"BENCH_DRIVER"`
	Only      string        `env:"BENCH_ONLY"`
	Servers   string        `env:"BENCH_SERVERS"`
	Out       string        `env:"BENCH_OUT"`
	Baseline  string        `env:"BENCH_BASELINE"`
}

// benchDefaults are the settings of a full run, or of a quick one.
func benchDefaults(quick bool) benchEnv {
	// 6 samples: benchstat's least for a 95 % confidence interval. 60,000
	// call logs: the page benchmark walks 1,000 rows deep into one agent's
	// (1/50 of the rows) logs.
	e := benchEnv{Quick: quick, Rounds: 6, Duration: 2 * time.Second, Warmup: 2 * time.Second, Count: 6, Benchtime: "80ms",
		Conns: 256, BigConns: 1000, Threshold: 0.10, Driver: "auto", Skip: "IdleConnectionMemory", Rows: 60000,
		Budget: 9*time.Minute + 30*time.Second, MicroMax: 4 * time.Minute}
	if quick {
		e.Rounds, e.Duration, e.Warmup, e.Count, e.Benchtime = 1, time.Second, 300*time.Millisecond, 1, "20ms"
	}
	return e
}

// parseBenchEnv reads the BENCH_* variables through getenv.
func parseBenchEnv(getenv func(string) string) (benchEnv, error) {
	vars := map[string]string{}
	params, err := env.GetFieldParams(&benchEnv{})
	if err != nil {
		return benchEnv{}, fmt.Errorf("cannot read settings: %w", err)
	}
	for _, p := range params {
		if v := getenv(p.Key); v != "" {
			vars[p.Key] = v
		}
	}
	opts := env.Options{Environment: vars}
	var first benchEnv
	if err := env.ParseWithOptions(&first, opts); err != nil {
		return benchEnv{}, benchEnvError(err, vars)
	}
	e := benchDefaults(first.Quick)
	if err := env.ParseWithOptions(&e, opts); err != nil {
		return benchEnv{}, benchEnvError(err, vars)
	}
	return e, nil
}

// benchEnvError names the variable of the first field env could not parse
// (env's own errors name the Go field).
func benchEnvError(err error, vars map[string]string) error {
	var pe env.ParseError
	if errors.As(err, &pe) {
		if f, ok := reflect.TypeOf(benchEnv{}).FieldByName(pe.Name); ok {
			k := f.Tag.Get("env")
			return fmt.Errorf("bad %s=%q: %w", k, vars[k], pe.Err)
		}
	}
	return fmt.Errorf("bad setting: %w", err)
}

func configFromEnv(getenv func(string) string) (config, error) {
	e, err := parseBenchEnv(getenv)
	if err != nil {
		return config{}, err
	}
	c := config{Quick: e.Quick, Rounds: e.Rounds, Duration: e.Duration, Warmup: e.Warmup, Count: e.Count,
		Benchtime: e.Benchtime, Skip: e.Skip, Rows: e.Rows, Budget: e.Budget, MicroMax: e.MicroMax,
		Driver: e.Driver, Conns: e.Conns, BigConns: e.BigConns, Threshold: e.Threshold}
	if c.Pkgs, err = optRegexp("BENCH_PKGS", e.Pkgs); err != nil {
		return c, err
	}
	if c.Match, err = optRegexp("BENCH_MATCH", e.Match); err != nil {
		return c, err
	}
	if e.Bin != "" {
		if c.Bin, err = filepath.Abs(e.Bin); err != nil {
			return c, fmt.Errorf("bad BENCH_BIN=%q: %w", e.Bin, err)
		}
	}
	if d := e.Driver; d != "auto" && d != "wrk" && d != "loadgen" && d != "raw" {
		return c, fmt.Errorf("bad BENCH_DRIVER=%q: want auto, wrk, loadgen or raw", d)
	}
	c.Stages = listSet(e.Only, "micro", "macro", "ceilings")
	c.Servers = listSet(e.Servers, "ours", "peer", "hertz", "nginx")
	if c.Rounds < 1 || c.Count < 1 || c.Conns < 1 || c.Duration <= 0 {
		return c, fmt.Errorf("BENCH_ROUNDS, BENCH_COUNT, BENCH_CONNS and BENCH_DURATION must be positive")
	}
	if c.Root, err = moduleRoot(); err != nil {
		return c, err
	}
	c.OutRoot = orDefault(e.Out, filepath.Join(c.Root, "bench", "results"))
	c.Baseline = orDefault(e.Baseline, filepath.Join(c.Root, "bench", "baseline"))
	c.Timestamp = time.Now().UTC().Format("20060102-150405")
	return c, nil
}

// optRegexp compiles v, the value of name; empty is nil (no filter).
func optRegexp(name, v string) (*regexp.Regexp, error) {
	if v == "" {
		return nil, nil
	}
	re, err := regexp.Compile(v)
	if err != nil {
		return nil, fmt.Errorf("bad %s=%q: %w", name, v, err)
	}
	return re, nil
}

// listSet parses a comma list; empty means every one of all.
func listSet(v string, all ...string) map[string]bool {
	m := map[string]bool{}
	if strings.TrimSpace(v) == "" {
		for _, a := range all {
			m[a] = true
		}
		return m
	}
	for _, s := range strings.Split(v, ",") {
		m[strings.TrimSpace(s)] = true
	}
	return m
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// moduleRoot walks up from the working directory to the directory of go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("cannot find module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("cannot find module root: no go.mod above the working directory")
		}
		dir = parent
	}
}
