package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/tuning"
)

func needRoot(tb testing.TB, what string) {
	tb.Helper()
	if os.Geteuid() == 0 {
		return
	}
	stack.Unavailable(tb, what, "needs root")
}

// netns creates a uniquely named network namespace, deleted when tb ends.
func netns(tb testing.TB) string {
	tb.Helper()
	needRoot(tb, "ip netns")
	name := fmt.Sprintf("tune-test-%d-%d", os.Getpid(), time.Now().UnixNano()%1_000_000)
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		stack.Unavailable(tb, "network namespace", fmt.Sprintf("ip netns add: %v: %s", err, out))
	}
	tb.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	return name
}

func inNS(tb testing.TB, ns string, args ...string) result {
	tb.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns, tuneBinary(tb)}, args...)...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		tb.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}

func liveValues(tb testing.TB, r result) map[string]tuning.Result {
	tb.Helper()
	var rep tuning.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		tb.Fatalf("cannot parse check output: %v\n%s%s", err, r.stdout, r.stderr)
	}
	m := map[string]tuning.Result{}
	for _, x := range rep.Results {
		m[x.ID] = x
	}
	return m
}

func hostSysctls(tb testing.TB, keys []string) map[string]string {
	tb.Helper()
	m := map[string]string{}
	for _, k := range keys {
		b, err := os.ReadFile("/proc/sys/" + strings.ReplaceAll(k, ".", "/"))
		if err == nil {
			m[k] = strings.Join(strings.Fields(string(b)), " ")
		}
	}
	return m
}

// TestApplyRevertInNetns applies the 100k app profile's net.* sysctls inside
// a fresh network namespace, checks they hold there and nowhere else, then
// reverts and checks every value is back.
func TestApplyRevertInNetns(t *testing.T) {
	// Service URLs the namespace cannot reach (its loopback is its own), as
	// in CI: a net-only apply and revert must not try them.
	t.Setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
	t.Setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
	ns := netns(t)
	dest := t.TempDir()
	check := []string{"check", "--tier", "100k", "--role", "app", "--only", "net", "--format", "json"}
	first := inNS(t, ns, check...)
	if first.code != 1 {
		t.Fatalf("check in a fresh namespace: exit %d; want 1 (kernel defaults are below the profile)\n%s", first.code, first.stderr)
	}
	before := liveValues(t, first)
	var keys []string
	for k := range before {
		keys = append(keys, k)
	}
	hostBefore := hostSysctls(t, keys)

	apply := []string{"apply", "--tier", "100k", "--role", "app", "--only", "net", "--dest", dest}
	for i := 0; i < 2; i++ { // applying twice must keep the first backup
		if r := inNS(t, ns, apply...); r.code != 0 {
			t.Fatalf("apply %d in namespace: exit %d\n%s%s", i+1, r.code, r.stdout, r.stderr)
		}
	}
	applied := inNS(t, ns, check...)
	if applied.code != 0 {
		t.Errorf("check after apply: exit %d; want 0\n%s", applied.code, applied.stdout)
	}
	for k, x := range liveValues(t, applied) {
		if x.Status != tuning.StatusOK && x.Status != tuning.StatusUnknown {
			t.Errorf("after apply %s: %s (live %q, want %q)", k, x.Status, x.Live, x.Want)
		}
	}
	if got := liveValues(t, applied)["net.core.somaxconn"].Live; got != "65535" {
		t.Errorf("after apply somaxconn in the namespace: got %q; want 65535", got)
	}
	if _, err := os.Stat(filepath.Join(dest, "etc/sysctl.d/60-echosenseix-app.conf")); err != nil {
		t.Errorf("apply wrote no sysctl.d file under --dest: %v", err)
	}
	for k, v := range hostSysctls(t, keys) {
		if hostBefore[k] != v {
			t.Errorf("apply in a namespace changed the host's %s: %q -> %q", k, hostBefore[k], v)
		}
	}

	if r := inNS(t, ns, "revert", "--dest", dest); r.code != 0 {
		t.Fatalf("revert: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for k, x := range liveValues(t, inNS(t, ns, check...)) {
		if x.Live != before[k].Live {
			t.Errorf("after revert %s: got %q; want %q", k, x.Live, before[k].Live)
		}
	}
	again := inNS(t, ns, "revert", "--dest", dest)
	if again.code != 0 || !strings.Contains(again.stdout, "nothing to revert") {
		t.Errorf("second revert: exit %d %q; want 0 and nothing to revert", again.code, again.stdout)
	}
	if entries, err := os.ReadDir(dest); err != nil || len(entries) != 0 {
		t.Errorf("after revert --dest holds %d entries (%v); want it as empty as before apply", len(entries), err)
	}
}

// TestApplyDryRunChangesNothing: a dry run of every part under --dest
// writes no file and changes no sysctl.
func TestApplyDryRunChangesNothing(t *testing.T) {
	dest := t.TempDir()
	p, err := tuning.Load("100k", "app")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, s := range p.Settings {
		if s.Kind == tuning.KindSysctl {
			keys = append(keys, s.Key)
		}
	}
	before := hostSysctls(t, keys)
	r := runTune([]string{"apply", "--tier", "100k", "--role", "app", "--dest", dest, "--dry-run"}, nil)
	if r.code == 2 || !strings.Contains(r.stdout, "would write "+filepath.Join(dest, "etc/sysctl.d")) {
		t.Fatalf("dry run: exit %d; want it to say what it would write\n%s%s", r.code, r.stdout, r.stderr)
	}
	entries, err := os.ReadDir(dest)
	if err != nil || len(entries) != 0 {
		t.Errorf("dry run left %d entries under --dest (%v)", len(entries), err)
	}
	for k, v := range hostSysctls(t, keys) {
		if before[k] != v {
			t.Errorf("dry run changed %s: %q -> %q", k, before[k], v)
		}
	}
}

// TestNotRootSaysSo runs apply as an unprivileged user: each live kernel
// step says in one line that it needs root, and apply exits 1.
func TestNotRootSaysSo(t *testing.T) {
	needRoot(t, "running as another user")
	bin := tuneBinary(t)
	if err := os.Chmod(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	dest, err := os.MkdirTemp("", "tune-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dest) })
	if err := os.Chmod(dest, 0o777); err != nil {
		t.Fatal(err)
	}
	// A fresh namespace, so the live values are below the profile.
	ns := netns(t)
	cmd := exec.Command("ip", "netns", "exec", ns, "runuser", "-u", "nobody", "--", bin,
		"apply", "--tier", "100k", "--role", "app", "--only", "net", "--dest", dest)
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 1 {
		t.Fatalf("apply as nobody: %v; want exit 1\n%s", err, out)
	}
	if !strings.Contains(string(out), "needs root: net.core.somaxconn not set live") {
		t.Errorf("apply as nobody did not say the live step needs root:\n%s", out)
	}
	if after := liveValues(t, inNS(t, ns, "check", "--tier", "100k", "--role", "app", "--only", "net", "--format", "json")); after["net.core.somaxconn"].Live == "65535" {
		t.Errorf("apply as nobody changed somaxconn")
	}
}
