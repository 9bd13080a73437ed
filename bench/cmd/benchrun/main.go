// Command benchrun is `make bench`: it runs every micro benchmark next to the
// code and the macro benchmarks over HTTP (our server, the net/http peer and
// nginx, interleaved at fixed connection counts), plus redis-benchmark and
// pgbench ceilings, then prints one table of same-run ratios and saves raw
// benchstat-format results, results.json, table.md and ratios.html under
// bench/results/<timestamp>/. At the end it compares with bench/baseline/.
//
//	go run ./bench/cmd/benchrun              # the whole run (< 10 min on 2 cores)
//	BENCH_QUICK=1 go run ./bench/cmd/benchrun  # smoke run of the harness
//	go run ./bench/cmd/benchrun compare OLD NEW  # benchstat + regression flags
//
// Settings (environment): BENCH_QUICK=1; BENCH_ROUNDS (6, quick 1),
// BENCH_DURATION (2s, quick 1s; wrk takes whole seconds), BENCH_WARMUP (2s, quick 300ms),
// BENCH_COUNT (-count of micro benchmarks, 6, quick 1), BENCH_BENCHTIME
// (80ms, quick 20ms), BENCH_SKIP (go test -skip, default
// IdleConnectionMemory), BENCH_ROWS (call-log rows of the page benchmark,
// 60000), BENCH_PKGS (regexp of packages for micro
// benchmarks), BENCH_MATCH (regexp of HTTP scenario names to run),
// BENCH_BIN (a prebuilt echosenseix to measure instead of building one), BENCH_ONLY (comma list of stages: micro,macro,ceilings),
// BENCH_SERVERS (comma list: ours,peer,nginx), BENCH_DRIVER
// (auto|wrk|loadgen|raw), BENCH_CONNS (256), BENCH_BIG_CONNS (1000),
// BENCH_THRESHOLD (0.10: regression threshold), BENCH_OUT (results root),
// BENCH_BASELINE (bench/baseline), BENCH_BUDGET (9m30s: macro rounds shrink,
// not below 3, to end in time), BENCH_MICRO_MAX (4m: the micro stage is
// stopped there), BENCH_FAIL_ON_REGRESSION=1 (exit 3 on a regression).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "compare" {
		os.Exit(compareCmd(os.Args[2:]))
	}
	cfg, err := configFromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := run(ctx, cfg, os.Stdout, os.Stderr)
	os.Exit(code)
}
