package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/echosenseix/echosenseix/bench/internal/report"
	"github.com/echosenseix/echosenseix/internal/stack"
)

// ceilings runs redis-benchmark and pgbench when installed and their
// service is there: the best their path can do on this machine.
func ceilings(ctx context.Context, cfg config, svc services, dir string, p *progress) ([]report.Measurement, []string) {
	var ms []report.Measurement
	var notes []string
	if _, err := exec.LookPath("redis-benchmark"); err == nil && svc.RedisErr == nil {
		n, np := 100000, 1000000
		if cfg.Quick {
			n, np = 20000, 200000
		}
		for _, c := range []struct {
			name, test string
			n          int
			pipeline   int
		}{{ceilRedisGet, "get", n, 1}, {ceilRedisSet, "set", n, 1}, {ceilRedisGetP, "get", np, 16}, {ceilRedisSetP, "set", np, 16}} {
			p.Status("ceiling %s", c.name)
			m, err := redisBenchmark(ctx, svc.Redis, c.test, c.n, c.pipeline)
			if err != nil {
				notes = append(notes, fmt.Sprintf("%s: %v", c.name, err))
				continue
			}
			m.Name = c.name
			ms = append(ms, m)
		}
		cleanupRedisBenchmark(svc.Redis)
	}
	if _, err := exec.LookPath("pgbench"); err == nil && svc.PGAdmin != "" {
		pms, err := pgbench(ctx, cfg, svc.PGAdmin, dir, p)
		if err != nil {
			notes = append(notes, "pgbench: "+err.Error())
		}
		ms = append(ms, pms...)
	}
	return ms, notes
}

func redisBenchmark(ctx context.Context, r stack.Redis, test string, n, pipeline int) (report.Measurement, error) {
	host, port, _ := net.SplitHostPort(r.Addr)
	args := []string{"-h", host, "-p", port, "--dbnum", strconv.Itoa(r.DB), "-c", "50", "-n", strconv.Itoa(n),
		"-P", strconv.Itoa(pipeline), "-t", test, "--csv"}
	cmd := exec.CommandContext(ctx, "redis-benchmark", args...)
	if r.Password != "" {
		cmd.Env = append(os.Environ(), "REDISCLI_AUTH="+r.Password)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return report.Measurement{}, fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	rps, err := parseRedisCSV(out)
	if err != nil {
		return report.Measurement{}, err
	}
	m := report.Measurement{Kind: "ceiling", Unit: "ops/s", Samples: []float64{rps}, Driver: "redis-benchmark",
		Note: "redis-benchmark " + strings.Join(args, " "), Extra: map[string][]float64{}}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && n > 0 {
		m.Extra["gen-cpu-sec/op"] = []float64{float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9 / float64(n)}
	}
	return m, nil
}

// parseRedisCSV reads the rps of the first test of redis-benchmark --csv:
// a header line "test","rps",... then "GET","97087.38",...
func parseRedisCSV(out []byte) (float64, error) {
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(line, ",")
		if len(f) < 2 {
			continue
		}
		v, err := strconv.ParseFloat(strings.Trim(f[1], `"`), 64)
		if err == nil {
			return v, nil
		}
	}
	return 0, fmt.Errorf("cannot parse redis-benchmark output %q", string(out))
}

// cleanupRedisBenchmark deletes the one key redis-benchmark -t get,set uses.
func cleanupRedisBenchmark(r stack.Redis) {
	c, err := net.DialTimeout("tcp", r.Addr, 2*time.Second)
	if err != nil {
		return
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	cmd := ""
	if r.Password != "" {
		cmd = fmt.Sprintf("*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n", len(r.Password), r.Password)
	}
	db := strconv.Itoa(r.DB)
	cmd += fmt.Sprintf("*2\r\n$6\r\nSELECT\r\n$%d\r\n%s\r\n*2\r\n$3\r\nDEL\r\n$16\r\nkey:__rand_int__\r\n", len(db), db)
	_, _ = c.Write([]byte(cmd))
	buf := make([]byte, 64)
	_, _ = c.Read(buf)
}

var tpsLine = regexp.MustCompile(`tps = ([0-9.]+)`)

// pgbench runs select-only and single-row INSERT transactions (32 clients,
// 2 threads) on a fresh database of scale 1.
func pgbench(ctx context.Context, cfg config, admin, dir string, p *progress) ([]report.Measurement, error) {
	dsn, drop, err := stack.CreateDatabase(ctx, admin)
	if err != nil {
		return nil, err
	}
	defer drop()
	p.Status("ceiling pgbench: initialising")
	if out, err := exec.CommandContext(ctx, "pgbench", "-i", "-s", "1", "-q", dsn).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("pgbench -i: %w: %s", err, tail2(out))
	}
	script := filepath.Join(dir, "pgbench-insert.sql")
	insert := "\\set aid random(1, 100000)\nINSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, :aid, 1, CURRENT_TIMESTAMP);\n"
	if err := os.WriteFile(script, []byte(insert), 0o644); err != nil {
		return nil, err
	}
	secs := "5"
	if cfg.Quick {
		secs = "1"
	}
	var ms []report.Measurement
	for _, c := range []struct {
		name string
		args []string
	}{{ceilPGSelect, []string{"-S"}}, {ceilPGInsert, []string{"-f", script}}} {
		p.Status("ceiling %s", c.name)
		args := append(append([]string{"-c", "32", "-j", "2", "-T", secs, "-n"}, c.args...), dsn)
		out, err := exec.CommandContext(ctx, "pgbench", args...).CombinedOutput()
		if err != nil {
			return ms, fmt.Errorf("pgbench %s: %w: %s", strings.Join(c.args, " "), err, tail2(out))
		}
		mm := tpsLine.FindSubmatch(out)
		if mm == nil {
			return ms, fmt.Errorf("cannot parse pgbench output: %s", tail2(out))
		}
		tps, _ := strconv.ParseFloat(string(mm[1]), 64)
		ms = append(ms, report.Measurement{Name: c.name, Kind: "ceiling", Unit: "ops/s", Samples: []float64{tps},
			Driver: "pgbench", Note: "pgbench -c 32 -j 2 -T " + secs + " " + strings.Join(c.args[:1], " ")})
	}
	return ms, nil
}

func tail2(b []byte) string {
	if len(b) > 400 {
		b = b[len(b)-400:]
	}
	return strings.TrimSpace(string(b))
}
