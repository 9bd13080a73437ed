package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
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

func configFromEnv(getenv func(string) string) (config, error) {
	c := config{Quick: getenv("BENCH_QUICK") == "1" || getenv("BENCH_QUICK") == "true"}
	// 6 samples: benchstat's least for a 95 % confidence interval.
	c.Rounds, c.Duration, c.Warmup, c.Count, c.Benchtime = 6, 2*time.Second, 2*time.Second, 6, "80ms"
	if c.Quick {
		c.Rounds, c.Duration, c.Warmup, c.Count, c.Benchtime = 1, time.Second, 300*time.Millisecond, 1, "20ms"
	}
	c.Conns, c.BigConns, c.Threshold, c.Driver = 256, 1000, 0.10, "auto"
	// 60,000 call logs: the page benchmark walks 1,000 rows deep into one
	// agent's (1/50 of the rows) logs.
	c.Skip, c.Rows = "IdleConnectionMemory", 60000
	c.Budget, c.MicroMax = 9*time.Minute+30*time.Second, 4*time.Minute
	var err error
	set := func(name string, f func(string) error) {
		if v := getenv(name); v != "" && err == nil {
			if e := f(v); e != nil {
				err = fmt.Errorf("bad %s=%q: %w", name, v, e)
			}
		}
	}
	set("BENCH_ROUNDS", intTo(&c.Rounds))
	set("BENCH_COUNT", intTo(&c.Count))
	set("BENCH_CONNS", intTo(&c.Conns))
	set("BENCH_BIG_CONNS", intTo(&c.BigConns))
	set("BENCH_DURATION", durTo(&c.Duration))
	set("BENCH_WARMUP", durTo(&c.Warmup))
	set("BENCH_BUDGET", durTo(&c.Budget))
	set("BENCH_MICRO_MAX", durTo(&c.MicroMax))
	set("BENCH_BENCHTIME", func(v string) error { c.Benchtime = v; return nil })
	set("BENCH_SKIP", func(v string) error { c.Skip = v; return nil })
	set("BENCH_ROWS", intTo(&c.Rows))
	set("BENCH_THRESHOLD", func(v string) (e error) { c.Threshold, e = strconv.ParseFloat(v, 64); return })
	set("BENCH_PKGS", func(v string) (e error) { c.Pkgs, e = regexp.Compile(v); return })
	set("BENCH_MATCH", func(v string) (e error) { c.Match, e = regexp.Compile(v); return })
	set("BENCH_BIN", func(v string) (e error) { c.Bin, e = filepath.Abs(v); return })
	set("BENCH_DRIVER", func(v string) error {
		if v != "auto" && v != "wrk" && v != "loadgen" && v != "raw" {
			return fmt.Errorf("want auto, wrk, loadgen or raw")
		}
		c.Driver = v
		return nil
	})
	c.Stages = listSet(getenv("BENCH_ONLY"), "micro", "macro", "ceilings")
	c.Servers = listSet(getenv("BENCH_SERVERS"), "ours", "peer", "nginx")
	if err != nil {
		return c, err
	}
	if c.Rounds < 1 || c.Count < 1 || c.Conns < 1 || c.Duration <= 0 {
		return c, fmt.Errorf("BENCH_ROUNDS, BENCH_COUNT, BENCH_CONNS and BENCH_DURATION must be positive")
	}
	if c.Root, err = moduleRoot(); err != nil {
		return c, err
	}
	c.OutRoot = orDefault(getenv("BENCH_OUT"), filepath.Join(c.Root, "bench", "results"))
	c.Baseline = orDefault(getenv("BENCH_BASELINE"), filepath.Join(c.Root, "bench", "baseline"))
	c.Timestamp = time.Now().UTC().Format("20060102-150405")
	return c, nil
}

func intTo(p *int) func(string) error {
	return func(v string) (err error) { *p, err = strconv.Atoi(v); return }
}

func durTo(p *time.Duration) func(string) error {
	return func(v string) (err error) { *p, err = time.ParseDuration(v); return }
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
