package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Wrk drives the wrk binary (the tool of the anchors table) for GET targets
// (Target.Paths); it cannot sign per-request bodies. Its CPU is read from the
// wrk process's rusage.
type Wrk struct {
	Path    string // wrk binary; "" looks it up on PATH
	Threads int    // default 2
	TempDir string // for the Lua script; default os.TempDir()
}

// Name implements Driver.
func (Wrk) Name() string { return "wrk" }

// CanRun implements Driver: wrk runs GET targets with static paths.
func (w Wrk) CanRun(t Target) bool { return len(t.Paths) > 0 && t.Body == nil && w.bin() != "" }

func (w Wrk) bin() string {
	if w.Path != "" {
		return w.Path
	}
	p, _ := exec.LookPath("wrk")
	return p
}

// Run implements Driver.
func (w Wrk) Run(ctx context.Context, t Target) (Result, error) {
	script, err := os.CreateTemp(w.TempDir, "wrk-*.lua")
	if err != nil {
		return Result{}, fmt.Errorf("cannot write wrk script: %w", err)
	}
	defer os.Remove(script.Name())
	if _, err := script.WriteString(WrkScript(t.Paths, t.Header)); err != nil {
		return Result{}, fmt.Errorf("cannot write wrk script: %w", err)
	}
	script.Close()
	threads := w.Threads
	if threads <= 0 {
		threads = 2
	}
	threads = min(threads, t.Conns)
	secs := max(1, int(t.Duration.Round(time.Second)/time.Second))
	cmd := exec.CommandContext(ctx, w.bin(), "-t"+strconv.Itoa(threads), "-c"+strconv.Itoa(t.Conns),
		"-d"+strconv.Itoa(secs)+"s", "--timeout", "10s", "-s", filepath.Clean(script.Name()), "http://"+t.Addr+t.Paths[0])
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return Result{}, fmt.Errorf("cannot run wrk: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	r, err := ParseWrk(out.Bytes())
	if err != nil {
		return Result{}, err
	}
	if r.Elapsed <= 0 {
		r.Elapsed = time.Since(start)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.GenCPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return r, nil
}

// WrkScript is the Lua script: headers on every request, paths cycled when
// more than one, and a done() that prints one "WRKJSON {...}" line.
func WrkScript(paths, header []string) string {
	var b strings.Builder
	for _, h := range header {
		name, value, _ := strings.Cut(h, ":")
		fmt.Fprintf(&b, "wrk.headers[%q] = %q\n", strings.TrimSpace(name), strings.TrimSpace(value))
	}
	if len(paths) > 1 {
		b.WriteString("local paths = {")
		for i, p := range paths {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q", p)
		}
		b.WriteString("}\nlocal reqs = {}\nlocal n = 0\n")
		b.WriteString("init = function(args)\n  for i, p in ipairs(paths) do reqs[i] = wrk.format(\"GET\", p) end\nend\n")
		b.WriteString("request = function()\n  n = n + 1\n  return reqs[(n % #reqs) + 1]\nend\n")
	}
	b.WriteString(`done = function(s, lat, req)
  io.write(string.format('WRKJSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%d,"p90":%d,"p99":%d}\n',
    s.requests, s.duration, s.errors.connect, s.errors.read, s.errors.write, s.errors.status, s.errors.timeout,
    lat:percentile(50), lat:percentile(90), lat:percentile(99)))
end
`)
	return b.String()
}

// ParseWrk reads the WRKJSON line of WrkScript's done().
func ParseWrk(out []byte) (Result, error) {
	_, line, ok := bytes.Cut(out, []byte("WRKJSON "))
	if !ok {
		return Result{}, fmt.Errorf("cannot parse wrk output: no WRKJSON line in %q", truncateOut(out))
	}
	line, _, _ = bytes.Cut(line, []byte("\n"))
	var raw map[string]float64
	if err := json.Unmarshal(line, &raw); err != nil {
		return Result{}, fmt.Errorf("cannot parse wrk output: %w", err)
	}
	us := func(k string) time.Duration { return time.Duration(raw[k] * float64(time.Microsecond)) }
	return Result{
		Requests: int64(raw["requests"]),
		Non2xx:   int64(raw["status"]),
		Errors:   int64(raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]),
		Elapsed:  us("duration_us"),
		P50:      us("p50"), P90: us("p90"), P99: us("p99"),
	}, nil
}

func truncateOut(b []byte) string {
	if len(b) > 200 {
		return string(b[len(b)-200:])
	}
	return string(b)
}
