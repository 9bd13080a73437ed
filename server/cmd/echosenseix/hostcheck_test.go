package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/echosenseix/echosenseix/server/internal/hostcheck"
)

// lowReader is a host far below every tier.
type lowReader struct{}

func (lowReader) OpenFileLimit() (uint64, error) { return 256, nil }
func (lowReader) Sysctl(string) (int64, error)   { return 128, nil }

func TestHostCheckerWarnsPerSetting(t *testing.T) {
	cfg, err := loadConfig(map[string]string{"TUNING_TIER": "10k", "CLUSTER_ENABLED": "false"})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	hc := newHostChecker(cfg, lowReader{}, slog.New(slog.NewTextHandler(&logs, nil)))
	if hc == nil {
		t.Fatal("newHostChecker with TUNING_TIER=10k = nil; want a checker")
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 5 {
		t.Errorf("warning lines = %d; want 5 (one per setting):\n%s", len(lines), logs.String())
	}
	for _, key := range []string{hostcheck.KeyNofile, hostcheck.KeySomaxconn, hostcheck.KeySynBacklog, hostcheck.KeyNrOpen, hostcheck.KeyFileMax} {
		if !strings.Contains(logs.String(), "setting="+key) {
			t.Errorf("warnings lack setting=%s:\n%s", key, logs.String())
		}
	}
	for _, s := range hc.HostSettings() {
		if s.OK {
			t.Errorf("setting %s OK on a host of 128; want off", s.Key)
		}
	}
	cfg, _ = loadConfig(map[string]string{})
	if hc := newHostChecker(cfg, lowReader{}, slog.New(slog.NewTextHandler(&logs, nil))); hc != nil {
		t.Error("newHostChecker without TUNING_TIER != nil; want no check")
	}
}

func TestTuningTierSetting(t *testing.T) {
	for _, tc := range []struct {
		v  string
		ok bool
	}{{"", true}, {"1k", true}, {"10k", true}, {"100k", true}, {"smoke", false}, {"5k", false}} {
		_, err := loadConfig(map[string]string{"TUNING_TIER": tc.v})
		if (err == nil) != tc.ok {
			t.Errorf("TUNING_TIER=%q: err = %v; want ok=%v", tc.v, err, tc.ok)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "TUNING_TIER=") {
			t.Errorf("TUNING_TIER=%q: error %q; want it to name TUNING_TIER", tc.v, err)
		}
	}
}
