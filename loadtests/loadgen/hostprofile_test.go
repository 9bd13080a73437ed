package loadgen

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHostProfileHeader(t *testing.T) {
	tests := []struct {
		name string
		p    HostProfile
		want []string
	}{
		{"none", HostProfile{Profile: ProfileNone, TuneCheck: TuneCheck{Summary: "not available", Command: "bin/tune check --tier 1k --role app --format json"}},
			[]string{"Profile: none (host as is).", "tune check: not available (`bin/tune check --tier 1k --role app --format json`)."}},
		{"tuned", HostProfile{Profile: "tuned", Tier: "10k", Netns: "es-lt-1", Applied: "fallback list",
			TuneCheck: TuneCheck{Summary: "all hold: ok 3 (exit 0)"}, Sysctls: map[string]string{"net.core.somaxconn": "65535", "net.a": "1"}},
			[]string{"Profile: tuned (tier 10k), in network namespace es-lt-1; set by fallback list.", "tune check: all hold: ok 3 (exit 0).", "In force: net.a=1, net.core.somaxconn=65535."}},
	}
	for _, tc := range tests {
		r := &Result{Name: "x", Types: map[string]*TypeResult{}, Host: &tc.p}
		r.Finalize()
		s := Summary(r)
		for _, w := range tc.want {
			if !strings.Contains(s, w) {
				t.Errorf("%s: summary lacks %q:\n%s", tc.name, w, s)
			}
		}
	}
}

func TestReadHostProfile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	_ = os.WriteFile(good, []byte(`{"profile":"defaults","tuneCheck":{"summary":"not available"}}`), 0o644)
	bad := filepath.Join(dir, "bad.json")
	_ = os.WriteFile(bad, []byte(`{"tuneCheck":{}}`), 0o644)
	if p, err := ReadHostProfile(good); err != nil || p.Profile != "defaults" {
		t.Errorf("ReadHostProfile(good) = %+v, %v; want defaults", p, err)
	}
	if _, err := ReadHostProfile(bad); err == nil {
		t.Error("ReadHostProfile(no profile) = nil error; want one")
	}
	if _, err := ReadHostProfile(filepath.Join(dir, "missing")); err == nil {
		t.Error("ReadHostProfile(missing) = nil error; want one")
	}
}
