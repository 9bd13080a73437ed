package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/echosenseix/echosenseix/loadtests/loadgen"
	"github.com/echosenseix/echosenseix/loadtests/nginx"
)

// runNginx measures the generator (closed loop, o.nginxConns connections)
// against nginx static 200, alternating with wrk -t2 at the same count, and
// writes the table to <reports>/nginx-<timestamp>/nginx.md.
func runNginx(ctx context.Context, o options, stdout, stderr io.Writer) int {
	s, err := nginx.Start()
	if err != nil {
		fmt.Fprintln(stderr, "loadtest:", err)
		return loadgen.ExitUsage
	}
	defer s.Stop()
	var b strings.Builder
	fmt.Fprintf(&b, "# Generator vs nginx static 200 (%s, %d CPU)\n\n", time.Now().Format(time.RFC3339), loadgen.ThisMachine().NumCPU)
	fmt.Fprintf(&b, "nginx 2 workers `return 200`, %d connections, %s per run, generator and nginx on the same cores.\n\n", o.nginxConns, o.nginxDuration)
	b.WriteString("| run | tool | requests/s | p50 ms | p99 ms | generator CPU s | nginx CPU s |\n|---|---|---:|---:|---:|---:|---:|\n")
	_, wrkErr := exec.LookPath("wrk")
	for i := 1; i <= 2 && ctx.Err() == nil; i++ {
		res, err := loadgen.RunFixed(ctx, loadgen.FixedConfig{URL: s.URL, Conns: o.nginxConns, Duration: o.nginxDuration,
			Warmup: time.Second, ServerPID: s.PID()})
		if err != nil {
			fmt.Fprintln(stderr, "loadtest:", err)
			return loadgen.ExitUsage
		}
		fmt.Fprintf(&b, "| %d | loadgen | %.0f | %.2f | %.2f | %.2f | %.2f |\n", i, res.RPS, res.Latency.P50, res.Latency.P99,
			res.GeneratorCPUSeconds, res.ServerCPUSeconds)
		if wrkErr == nil {
			b.WriteString(runWrk(ctx, i, s, o))
		}
	}
	if wrkErr != nil {
		b.WriteString("\nwrk is not installed: no peer row.\n")
	}
	fmt.Fprint(stdout, b.String())
	dir := filepath.Join(o.reports, "nginx-"+time.Now().Format("20060102-150405"))
	if err := os.MkdirAll(dir, 0o755); err == nil {
		_ = os.WriteFile(filepath.Join(dir, "nginx.md"), []byte(b.String()), 0o644)
		fmt.Fprintf(stdout, "\nreport: %s\n", filepath.Join(dir, "nginx.md"))
	}
	return loadgen.ExitPass
}

var (
	wrkRPS = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	wrk50  = regexp.MustCompile(`\s50%\s+([\d.]+)(us|ms|s)`)
	wrk99  = regexp.MustCompile(`\s99%\s+([\d.]+)(us|ms|s)`)
)

func wrkMs(re *regexp.Regexp, out string) float64 {
	m := re.FindStringSubmatch(out)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v * map[string]float64{"us": 0.001, "ms": 1, "s": 1000}[m[2]]
}

func runWrk(ctx context.Context, i int, s *nginx.Server, o options) string {
	cpu0 := loadgen.ProcessTreeCPUSeconds(s.PID())
	cmd := exec.CommandContext(ctx, "wrk", "-t2", "-c"+strconv.Itoa(o.nginxConns), "-d"+o.nginxDuration.String(), "--latency", s.URL)
	out, err := cmd.Output()
	srv := loadgen.ProcessTreeCPUSeconds(s.PID()) - cpu0
	if err != nil {
		return fmt.Sprintf("| %d | wrk | failed: %v | | | | |\n", i, err)
	}
	var gen float64
	if st := cmd.ProcessState; st != nil {
		gen = (st.UserTime() + st.SystemTime()).Seconds()
	}
	m := wrkRPS.FindStringSubmatch(string(out))
	rps := "?"
	if m != nil {
		rps = m[1]
	}
	return fmt.Sprintf("| %d | wrk -t2 | %s | %.2f | %.2f | %.2f | %.2f |\n", i, rps, wrkMs(wrk50, string(out)), wrkMs(wrk99, string(out)), gen, srv)
}
