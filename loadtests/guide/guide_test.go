package guide_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/loadtests/loadgen"
)

// server returns the base URL of bin/echosenseix started in memory mode when
// that binary exists (set GUIDE_SERVER=stub to force the stand-in), else of
// a stand-in answering /health/ready like the contract.
func server(t *testing.T) string {
	t.Helper()
	bin, _ := filepath.Abs(filepath.Join("..", "..", "bin", "echosenseix"))
	if _, err := os.Stat(bin); err != nil || os.Getenv("GUIDE_SERVER") == "stub" {
		t.Logf("using a stand-in server (no %s)", bin)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/health/ready" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"status":"ok"}`)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	return startBinary(t, bin)
}

func startBinary(t *testing.T, bin string) string {
	port, err := loadgen.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() { // memory mode: no database, no redis
		if !strings.HasPrefix(kv, "DATABASE_URL=") && !strings.HasPrefix(kv, "REDIS_URL=") {
			env = append(env, kv)
		}
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(env, "PORT="+strconv.Itoa(port))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatalf("cannot start %s: %v", bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	})
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/health/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				t.Logf("using %s (pid %d)", bin, cmd.Process.Pid)
				return base
			}
		}
		select {
		case <-exited:
			t.Fatalf("%s serve exited before it was ready; output:\n%s", bin, log.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-exited // the output is complete only once the process is gone
	t.Fatalf("%s serve: /health/ready not 200 within 20 s; output:\n%s", bin, log.String())
	return ""
}

// TestGuideAbLine runs the guide's `ab -n 10000 -c 100 <server>/health/ready`.
func TestGuideAbLine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs ab")
	}
	stack.Tool(t, "ab", "apache2-utils")
	base := server(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ab", "-q", "-n", "10000", "-c", "100", base+"/health/ready").CombinedOutput()
	if err != nil {
		t.Fatalf("ab: %v\n%s", err, out)
	}
	s := string(out)
	complete := regexp.MustCompile(`Complete requests:\s+(\d+)`).FindStringSubmatch(s)
	failed := regexp.MustCompile(`Failed requests:\s+(\d+)`).FindStringSubmatch(s)
	if complete == nil || complete[1] != "10000" || failed == nil || failed[1] != "0" || strings.Contains(s, "Non-2xx responses") {
		t.Errorf("ab: want 10000 complete, 0 failed, no non-2xx; got:\n%s", s)
	}
	if m := regexp.MustCompile(`Requests per second:\s+([\d.]+)`).FindStringSubmatch(s); m != nil {
		t.Logf("ab -n 10000 -c 100 /health/ready: %s requests/s (indicative)", m[1])
	}
}
