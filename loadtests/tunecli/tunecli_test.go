package tunecli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeTool writes an executable shell script standing in for bin/tune that
// prints out and exits with code, and records its arguments.
func fakeTool(t *testing.T, out string, code int) (Tool, string) {
	t.Helper()
	dir := t.TempDir()
	args := filepath.Join(dir, "args")
	script := "#!/bin/sh\necho \"$@\" > " + args + "\ncat <<'EOT'\n" + out + "\nEOT\nexit " + string(rune('0'+code)) + "\n"
	bin := filepath.Join(dir, "tune")
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return Find(bin), args
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name, out string
		code      int
		want      string
	}{
		{"all hold", `{"settings":[{"key":"a","status":"ok"},{"key":"b","status":"ok"}]}`, 0, "all hold: ok 2 (exit 0)"},
		{"some off", `[{"key":"a","status":"ok"},{"key":"b","status":"low"},{"key":"c","status":"unknown"}]`, 1, "some off: low 1, ok 1, unknown 1 (exit 1)"},
		{"not json", `net.core.somaxconn ok`, 1, "some off (exit 1)"},
	}
	for _, tc := range tests {
		tool, argsFile := fakeTool(t, tc.out, tc.code)
		res := tool.Check(context.Background(), Host, nil, "10k", "app")
		if res.Summary != tc.want || res.Exit != tc.code {
			t.Errorf("%s: Check = %q exit %d; want %q exit %d", tc.name, res.Summary, res.Exit, tc.want, tc.code)
		}
		b, _ := os.ReadFile(argsFile)
		if got, want := strings.TrimSpace(string(b)), "check --tier 10k --role app --format json"; got != want {
			t.Errorf("%s: args %q; want %q", tc.name, got, want)
		}
	}
}

func TestAbsentTool(t *testing.T) {
	tool := Find(filepath.Join(t.TempDir(), "no-tune"))
	if tool.Available() {
		t.Fatal("Find(missing) available; want not")
	}
	if res := tool.Check(context.Background(), Host, nil, "1k", "app"); res.Summary != NotAvailable {
		t.Errorf("Check summary = %q; want %q", res.Summary, NotAvailable)
	}
	if _, err := tool.ApplyNet(context.Background(), Host, "1k", t.TempDir()); err == nil {
		t.Error("ApplyNet without the tool = nil; want an error")
	}
	if _, _, err := tool.PlanPostgres(context.Background(), "1k", nil); err == nil {
		t.Error("PlanPostgres without the tool = nil; want an error")
	}
}

func TestApplyNetAndPlan(t *testing.T) {
	tool, argsFile := fakeTool(t, "applied", 0)
	line, err := tool.ApplyNet(context.Background(), Host, "10k", "/tmp/d")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(argsFile)
	if got, want := strings.TrimSpace(string(b)), "apply --tier 10k --role app --only net --dest /tmp/d"; got != want || !strings.HasSuffix(line, want) {
		t.Errorf("args %q, line %q; want %q", got, line, want)
	}
	bad, _ := fakeTool(t, "", 2)
	if _, err := bad.ApplyNet(context.Background(), Host, "10k", "/tmp/d"); err == nil || !strings.Contains(err.Error(), "exit 2") {
		t.Errorf("ApplyNet exit 2 err = %v; want exit 2 named", err)
	}
	plan := "# /etc/postgresql/15/main/conf.d/echosenseix.conf\nshared_buffers = 6GB   # RAM/4\nwork_mem = '8MB'\nlisten_addresses = '*'\n"
	tool, _ = fakeTool(t, plan, 0)
	conf, _, err := tool.PlanPostgres(context.Background(), "10k", map[string]bool{"shared_buffers": true, "work_mem": true})
	if err != nil {
		t.Fatal(err)
	}
	if len(conf) != 2 || conf["shared_buffers"] != "6GB" || conf["work_mem"] != "8MB" {
		t.Errorf("PlanPostgres = %v; want shared_buffers 6GB, work_mem 8MB only", conf)
	}
}
