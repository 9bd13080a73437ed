package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/loadtests/loadgen"
	"github.com/echosenseix/echosenseix/loadtests/netns"
	"github.com/echosenseix/echosenseix/loadtests/tunecli"
)

func TestInnerEnvDropsHostServices(t *testing.T) {
	got := innerEnv([]string{"PATH=/bin", "DATABASE_URL=postgres://x", "REDIS_URL=redis://y", "REDIS_HOST=h", "TEST_DATABASE_URL=z", "HOME=/root"})
	if strings.Join(got, " ") != "PATH=/bin HOME=/root" {
		t.Errorf("innerEnv = %v; want PATH and HOME only", got)
	}
}

func TestProfileTier(t *testing.T) {
	for in, want := range map[string]string{"smoke": "1k", "mini": "1k", "1k": "1k", "10k": "10k", "100k": "100k"} {
		if got := profileTier(in); got != want {
			t.Errorf("profileTier(%s) = %s; want %s", in, got, want)
		}
	}
}

func TestBadProfile(t *testing.T) {
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"-profile", "fast"}, &bytes.Buffer{}, &stderr); code != loadgen.ExitUsage || !strings.Contains(stderr.String(), "-profile") {
		t.Errorf("-profile fast: exit %d %q; want %d naming -profile", code, stderr.String(), loadgen.ExitUsage)
	}
}

// TestProfilesInNamespace runs the mini tier (stand-in server) with
// -profile defaults and -profile tuned: each runs inside a namespace of its
// own with a throwaway Postgres there, the report header states the profile
// and the tune check, somaxconn in force differs between the two, and no
// namespace is left behind.
func TestProfilesInNamespace(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries")
	}
	if why := netns.Available(); why != "" {
		stack.Unavailable(t, "network namespaces", why)
	}
	dir := t.TempDir()
	server, lg, self := filepath.Join(dir, "echosenseix"), filepath.Join(dir, "loadgen"), filepath.Join(dir, "loadtest")
	goBuild(t, server, "./testdata/fakeserver")
	goBuild(t, lg, "../loadgen")
	goBuild(t, self, ".")
	tiersFile := filepath.Join(dir, "tiers.json")
	if err := os.WriteFile(tiersFile, []byte(miniTiers), 0o644); err != nil {
		t.Fatal(err)
	}
	somaxconn := map[string]string{}
	for _, profile := range []string{profileDefaults, profileTuned} {
		var stdout, stderr bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
		code := run(ctx, []string{"-tier", "mini", "-tiers", tiersFile, "-server", server, "-loadgen", lg, "-self", self,
			"-tune", filepath.Join(dir, "no-tune"), "-profile", profile, "-reports", filepath.Join(dir, "reports")}, &stdout, &stderr)
		cancel()
		if code != 0 {
			t.Fatalf("%s: exit %d; want 0\nstdout:\n%s\nstderr:\n%s", profile, code, stdout.String(), stderr.String())
		}
		res := readResult(t, filepath.Join(dir, "reports", "mini-"+profile+"-*"))
		h := res.Host
		if h == nil || h.Profile != profile || h.Netns == "" || h.TuneCheck.Summary != tunecli.NotAvailable {
			t.Fatalf("%s: host header %+v; want profile %s, a namespace, tune check not available", profile, h, profile)
		}
		if netns.Exists(h.Netns) {
			t.Errorf("%s: namespace %s left behind", profile, h.Netns)
		}
		somaxconn[profile] = h.Sysctls["net.core.somaxconn"]
		md, _ := os.ReadFile(filepath.Join(filepath.Dir(res.path), "summary.md"))
		for _, want := range []string{"Profile: " + profile, "tune check: not available"} {
			if !strings.Contains(string(md), want) {
				t.Errorf("%s: summary.md lacks %q", profile, want)
			}
		}
	}
	if somaxconn[profileTuned] != tunecli.FallbackNet["net.core.somaxconn"] || somaxconn[profileDefaults] == somaxconn[profileTuned] {
		t.Errorf("somaxconn in force: defaults %q, tuned %q; want tuned %s and different", somaxconn[profileDefaults], somaxconn[profileTuned], tunecli.FallbackNet["net.core.somaxconn"])
	}
}

type resultFile struct {
	loadgen.Result
	path string
}

func readResult(t *testing.T, glob string) resultFile {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(glob, "results.json"))
	if len(m) != 1 {
		t.Fatalf("results.json under %s: %v; want one", glob, m)
	}
	b, err := os.ReadFile(m[0])
	if err != nil {
		t.Fatal(err)
	}
	var r resultFile
	if err := json.Unmarshal(b, &r.Result); err != nil {
		t.Fatal(err)
	}
	r.path = m[0]
	return r
}

// TestApplyTunedRunsToolInside runs a stand-in bin/tune through Tool.ApplyNetIn:
// it is called with `apply --tier T --role app --only net --dest DIR`
// inside the namespace, so what it writes to /proc/sys lands there and the
// host keeps its value.
func TestApplyTunedRunsToolInside(t *testing.T) {
	if why := netns.Available(); why != "" {
		stack.Unavailable(t, "network namespaces", why)
	}
	dir := t.TempDir()
	argsFile, bin := filepath.Join(dir, "args"), filepath.Join(dir, "tune")
	script := "#!/bin/sh\necho \"$@\" > " + argsFile + "\necho 12345 > /proc/sys/net/core/somaxconn\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	host, _ := os.ReadFile("/proc/sys/net/core/somaxconn")
	ctx := context.Background()
	ns, err := netns.New(ctx, "es-test")
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	line, err := tunecli.Find(bin).ApplyNetIn(ctx, ns, "10k")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(argsFile)
	args := strings.Fields(string(b))
	if len(args) != 9 || strings.Join(args[:8], " ") != "apply --tier 10k --role app --only net --dest" || !strings.Contains(line, "--only net") {
		t.Errorf("tool args %q (line %q); want apply --tier 10k --role app --only net --dest DIR", args, line)
	}
	got, _ := ns.Sysctls(ctx, []string{"net.core.somaxconn"})
	if got["net.core.somaxconn"] != "12345" {
		t.Errorf("somaxconn in the namespace = %q; want 12345 (the tool ran inside)", got["net.core.somaxconn"])
	}
	if after, _ := os.ReadFile("/proc/sys/net/core/somaxconn"); string(after) != string(host) {
		t.Errorf("host somaxconn changed from %q to %q", host, after)
	}
}
