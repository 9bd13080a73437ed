package main

import (
	"bytes"
	"context"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/echosenseix/echosenseix/internal/proc"
)

// environment records where and with what the run happened.
func environment(ctx context.Context, root string) map[string]string {
	env := map[string]string{
		"date":   time.Now().UTC().Format(time.RFC3339),
		"cpus":   strconv.Itoa(runtime.NumCPU()),
		"go":     runtime.Version(),
		"goos":   runtime.GOOS,
		"goarch": runtime.GOARCH,
	}
	m := proc.HostMachine()
	env["kernel"], env["cpu"] = m.Kernel, m.CPUModel
	if m.MemBytes > 0 {
		env["memory"] = strconv.FormatUint(m.MemBytes/1024, 10) + " kB"
	}
	env["hertz"] = goModVersion(ctx, root, "github.com/cloudwego/hertz")
	env["sonic"] = goModVersion(ctx, root, "github.com/bytedance/sonic")
	env["nginx"] = toolVersion(ctx, "nginx", "-v")
	env["redis-server"] = toolVersion(ctx, "redis-server", "--version")
	env["redis-benchmark"] = toolVersion(ctx, "redis-benchmark", "--version")
	env["pgbench"] = toolVersion(ctx, "pgbench", "--version")
	env["wrk"] = toolVersion(ctx, "wrk", "-v")
	for k, v := range env {
		if v == "" {
			env[k] = "not installed"
		}
	}
	return env
}

func goModVersion(ctx context.Context, root, mod string) string {
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Version}}", mod)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// toolVersion runs name args and answers the first line it prints (some
// tools print their version on stderr, wrk exits 1 after printing it).
func toolVersion(ctx context.Context, name string, args ...string) string {
	path, err := exec.LookPath(name)
	if err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	_ = cmd.Run()
	line, _, _ := strings.Cut(strings.TrimSpace(out.String()), "\n")
	line, _, _ = strings.Cut(line, " Copyright") // wrk
	return strings.TrimSpace(line)
}
