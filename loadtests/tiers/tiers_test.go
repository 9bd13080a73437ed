package tiers_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/echosenseix/echosenseix/loadtests/tiers"
)

func TestLoadEveryTier(t *testing.T) {
	want := []string{"smoke", "1k", "10k", "100k"}
	got := tiers.Names()
	if len(got) != len(want) {
		t.Fatalf("got tiers %v; want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got tiers %v; want %v", got, want)
		}
		tr, err := tiers.Load(want[i])
		if err != nil {
			t.Fatal(err)
		}
		if len(tr.PageLoad) != 4 {
			t.Errorf("%s: got %d page paths; want 4", tr.Name, len(tr.PageLoad))
		}
	}
}

func TestGoals(t *testing.T) {
	tests := []struct {
		name     string
		users    int
		maxErr   float64
		maxP99Ms float64
	}{
		{"1k", 1000, 0, 100},
		{"10k", 10000, 0.001, 250},
		{"100k", 100000, 0.001, 500},
	}
	for _, tc := range tests {
		tr, err := tiers.Load(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		if tr.Users != tc.users || tr.Thresholds.MaxErrorRate > tc.maxErr || tr.Thresholds.P99Ms > tc.maxP99Ms {
			t.Errorf("%s: got users %d, maxErrorRate %v, p99 %v ms; want %d, <= %v, <= %v",
				tc.name, tr.Users, tr.Thresholds.MaxErrorRate, tr.Thresholds.P99Ms, tc.users, tc.maxErr, tc.maxP99Ms)
		}
		if !tr.Realtime {
			t.Errorf("%s: realtime off; the goals count users with open sockets", tc.name)
		}
	}
}

func TestSmokeFitsCI(t *testing.T) {
	tr, err := tiers.Load("smoke")
	if err != nil {
		t.Fatal(err)
	}
	if d := tr.Duration().Seconds(); d > 60 {
		t.Errorf("smoke lasts %v s; want <= 60 so the whole make loadtest stays under 2 minutes", d)
	}
}

func TestRatesAndProcesses(t *testing.T) {
	tr, err := tiers.Load("100k")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tr.RequestsPerSecond(), 100000.0*4/30+100; got < want-1 || got > want+1 {
		t.Errorf("100k rps = %v; want %v", got, want)
	}
	if got := tr.Processes(14000); got < 8 {
		t.Errorf("100k processes = %d; want >= 8 (<= 14,000 connections each)", got)
	}
	if got := tr.Connections() / tr.Processes(14000); got > 14000 {
		t.Errorf("100k connections per process = %d; want <= 14000", got)
	}
}

func TestLoadUnknown(t *testing.T) {
	if _, err := tiers.Load("1m"); err == nil {
		t.Error("Load(1m) = nil error; want an error")
	}
}

func TestParseRejectsInvalid(t *testing.T) {
	bad := `{"pageLoad":["/x"],"tiers":{"x":{"users":0,"sessions":1,"thinkSeconds":1,"holdSeconds":1,"httpConns":1,"seed":{"orgs":1,"usersPerOrg":1,"agentsPerOrg":1},"thresholds":{"p99Ms":1}}}}`
	if _, err := tiers.Parse([]byte(bad)); err == nil {
		t.Error("Parse(users=0) = nil error; want an error")
	}
}

func TestLoadFrom(t *testing.T) {
	emb, err := tiers.LoadFrom("smoke", "")
	if err != nil {
		t.Fatalf("LoadFrom(smoke, embedded): %v", err)
	}
	path := filepath.Join(t.TempDir(), "tiers.json")
	if err := os.WriteFile(path, tiers.JSON(), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := tiers.LoadFrom("smoke", path)
	if err != nil || got.Name != emb.Name {
		t.Fatalf("LoadFrom(smoke, file) = %+v, %v; want the embedded smoke tier", got, err)
	}
	for _, tc := range []struct{ name, path, want string }{
		{"nope", path, "cannot load tier"},
		{"smoke", filepath.Join(t.TempDir(), "missing.json"), "cannot read tiers"},
	} {
		if _, err := tiers.LoadFrom(tc.name, tc.path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LoadFrom(%q, %q) = %v; want %q", tc.name, tc.path, err, tc.want)
		}
	}
}
