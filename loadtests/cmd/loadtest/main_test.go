package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/internal/testbin"
	"github.com/echosenseix/echosenseix/loadtests/loadgen"
	"github.com/echosenseix/echosenseix/loadtests/tiers"
)

func TestMain(m *testing.M) { stack.Main(m) }

func TestSeedArgs(t *testing.T) {
	tr, err := tiers.Load("1k")
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(SeedArgs(tr), " ")
	if want := "seed --orgs 10 --users 100 --agents 10"; got != want {
		t.Errorf("got %q; want %q", got, want)
	}
}

func goBuild(t *testing.T, out, pkg string) {
	t.Helper()
	if err := testbin.BuildTo(out, pkg); err != nil {
		t.Fatal(err)
	}
}

// TestRunnerEndToEnd runs the whole runner with a stand-in server binary
// (testdata/fakeserver) and a 3-second tier: database from the stack
// helper, seed, server env, readiness, loadgen, reports, exit code, and the
// server stopped afterwards.
func TestRunnerEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries")
	}
	stack.Postgres(t) // skip (or fail under CI=true) without Postgres, like every suite
	dir := t.TempDir()
	server, lg := filepath.Join(dir, "echosenseix"), filepath.Join(dir, "loadgen")
	goBuild(t, server, "./testdata/fakeserver")
	goBuild(t, lg, "../loadgen")
	tiersFile := filepath.Join(dir, "tiers.json")
	if err := os.WriteFile(tiersFile, []byte(miniTiers), 0o644); err != nil {
		t.Fatal(err)
	}
	envFile := filepath.Join(dir, "server.env")
	t.Setenv("FAKE_ENV_FILE", envFile)
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	code := run(ctx, []string{"-tier", "mini", "-tiers", tiersFile, "-server", server, "-loadgen", lg,
		"-reports", filepath.Join(dir, "reports")}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("got exit %d; want 0\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	reports, _ := filepath.Glob(filepath.Join(dir, "reports", "mini-*", "*"))
	var names []string
	for _, r := range reports {
		names = append(names, filepath.Base(r))
	}
	for _, want := range []string{"results.json", "summary.md", "report.html", "seed.json", "server.log"} {
		if !strings.Contains(strings.Join(names, " "), want) {
			t.Errorf("report dir has %v; want %s", names, want)
		}
	}
	if md, _ := os.ReadFile(filepath.Join(filepath.Dir(reports[0]), "summary.md")); !strings.Contains(string(md), "Profile: "+loadgen.ProfileNone) {
		t.Errorf("summary.md without -profile lacks %q:\n%s", "Profile: "+loadgen.ProfileNone, md)
	}
	env, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"DATABASE_URL=postgres", "CACHE_PROVIDER=memory", "CLUSTER_ENABLED=false", "CLUSTER_WORKERS=1", "PORT="} {
		if !strings.Contains(string(env), want) {
			t.Errorf("server env lacks %q", want)
		}
	}
	if out, _ := exec.Command("pgrep", "-f", server+" serve").Output(); len(out) > 0 {
		ps, _ := exec.Command("ps", "-o", "pid,ppid,stat,args", "-p", strings.TrimSpace(string(out))).Output()
		t.Logf("ps: %s", ps)
		t.Errorf("server still running after the runner returned: pids %s\n%s", out, stderr.String())
		for _, p := range strings.Fields(string(out)) {
			var pid int
			if _, err := fmtSscan(p, &pid); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
}

const miniTiers = `{"pageLoad":["/api/auth/user","/api/agents","/api/analytics/organization","/api/call-logs?limit=20"],
"tiers":{"mini":{"users":10,"sessions":2,"rampSeconds":0.5,"holdSeconds":2.5,"thinkSeconds":0.5,"realtime":true,
"webhooksPerSecond":10,"httpConns":4,"webhookConns":1,"generators":1,
"seed":{"orgs":2,"usersPerOrg":1,"agentsPerOrg":2},
"server":{"clusterEnabled":false,"clusterWorkers":1,"cacheProvider":"memory","queueProvider":"memory","sessionStore":"memory"},
"thresholds":{"maxErrorRate":0,"p95Ms":500,"p99Ms":1000,"minSocketRatio":1}}}}`

func fmtSscan(s string, pid *int) (int, error) {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, os.ErrInvalid
		}
		n = n*10 + int(c-'0')
	}
	*pid = n
	return 1, nil
}
