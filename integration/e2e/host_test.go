package e2e_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/stack"
)

// TestHostDegradedUnderLowNofile starts the real server under prlimit: with
// an open-file limit below what TUNING_TIER=1k needs /health is degraded
// with a "host" check naming RLIMIT_NOFILE while /health/ready stays 200;
// with a limit above it the host check passes.
func TestHostDegradedUnderLowNofile(t *testing.T) {
	stack.Tool(t, "prlimit", "util-linux")
	tests := []struct {
		nofile     int
		wantStatus string
		wantCheck  string
		wantMetric string
	}{
		{512, "degraded", "warn", `host_setting_ok{key="RLIMIT_NOFILE"} 0`},
		{20000, "healthy", "pass", `host_setting_ok{key="RLIMIT_NOFILE"} 1`},
	}
	for _, tc := range tests {
		base, out := startUnderPrlimit(t, tc.nofile, "TUNING_TIER=1k")
		var h struct {
			Status string
			Checks map[string]struct{ Status, Message string }
		}
		getJSON(t, base+"/health", 200, &h)
		getJSON(t, base+"/health/ready", 200, nil)
		resp, err := freshClient.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		resp.Body.Close()
		if !strings.Contains(b.String(), tc.wantMetric) {
			t.Errorf("nofile %d: /metrics lacks %s", tc.nofile, tc.wantMetric)
		}
		if hostHolds(t, b.String()) || tc.wantCheck == "warn" {
			if h.Status != tc.wantStatus || h.Checks["host"].Status != tc.wantCheck {
				t.Errorf("nofile %d: /health %s, host %+v; want %s, host %s", tc.nofile, h.Status, h.Checks["host"], tc.wantStatus, tc.wantCheck)
			}
		}
		if named := strings.Contains(h.Checks["host"].Message, "RLIMIT_NOFILE"); named != (tc.wantCheck == "warn") {
			t.Errorf("nofile %d: host message %q names RLIMIT_NOFILE = %v; want %v", tc.nofile, h.Checks["host"].Message, named, tc.wantCheck == "warn")
		}
		if tc.wantCheck == "warn" && !strings.Contains(h.Checks["host"].Message, "RLIMIT_NOFILE=512 <") {
			t.Errorf("nofile %d: host message %q; want RLIMIT_NOFILE=512 named", tc.nofile, h.Checks["host"].Message)
		}
		warned := strings.Contains(out.String(), `"setting":"RLIMIT_NOFILE"`)
		if warned != (tc.wantCheck == "warn") {
			t.Errorf("nofile %d: start-up warning for RLIMIT_NOFILE = %v; want %v\n%s", tc.nofile, warned, tc.wantCheck == "warn", out.String())
		}
	}
}

// hostHolds reports whether the server found that this host's sysctls hold
// what TUNING_TIER=1k needs of one process (then only RLIMIT_NOFILE can make
// the check warn): every host_setting_ok line of its /metrics but
// RLIMIT_NOFILE's is 1.
func hostHolds(t *testing.T, metrics string) bool {
	t.Helper()
	holds := true
	for _, line := range strings.Split(metrics, "\n") {
		if !strings.HasPrefix(line, "host_setting_ok{") || strings.Contains(line, `key="RLIMIT_NOFILE"`) {
			continue
		}
		if !strings.HasSuffix(line, " 1") {
			t.Logf("this host is below the 1k profile (%s): only RLIMIT_NOFILE is compared", line)
			holds = false
		}
	}
	return holds
}

// startUnderPrlimit runs `prlimit --nofile=N:N echosenseix serve` (one
// process, in memory) and waits until it is ready.
func startUnderPrlimit(t *testing.T, nofile int, env ...string) (string, *syncBuffer) {
	t.Helper()
	port := freePort(t)
	n := strconv.Itoa(nofile)
	cmd := exec.Command("prlimit", "--nofile="+n+":"+n, "--", binPath, "serve")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"PORT=" + strconv.Itoa(port), "HOST=127.0.0.1", "LOG_LEVEL=info"}, env...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("cannot start echosenseix under prlimit: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("echosenseix output:\n%s", lastLines(out.String(), 30))
		}
	})
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := freshClient.Get(base + "/health/live"); err == nil {
			resp.Body.Close()
			return base, out
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("echosenseix under prlimit not live within 15 s")
	return "", nil
}

func getJSON(t *testing.T, url string, wantCode int, v any) {
	t.Helper()
	resp, err := freshClient.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != wantCode {
		t.Errorf("GET %s = %d; want %d", url, resp.StatusCode, wantCode)
	}
	if v != nil {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
	}
}
