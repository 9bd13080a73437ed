package proof

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/internal/testbin"
	"github.com/echosenseix/echosenseix/loadtests/netns"
	"github.com/echosenseix/echosenseix/loadtests/tunecli"
)

// TestSmallBurst runs a small burst (300 connections, 2 dialer processes)
// in a namespace per profile: every attempt is accounted for, nstat is read
// inside, the tuned namespace has the fallback somaxconn, and both
// namespaces are gone afterwards.
func TestSmallBurst(t *testing.T) {
	if why := netns.Available(); why != "" {
		stack.Unavailable(t, "network namespaces", why)
	}
	self := filepath.Join(t.TempDir(), "tuning-proof")
	if err := testbin.BuildTo(self, "./cmd/tuning-proof"); err != nil {
		t.Fatal(err)
	}
	cfg := BurstConfig{Self: self, Conns: 300, Procs: 2, Spread: 200 * time.Millisecond, Busy: 100 * time.Millisecond, DialTimeout: 3 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	kr, err := Kernel(ctx, cfg, 1, tunecli.Find(filepath.Join(t.TempDir(), "no-tune")), "10k")
	if err != nil {
		t.Fatal(err)
	}
	if len(kr.Bursts) != 2 {
		t.Fatalf("bursts = %d; want 2", len(kr.Bursts))
	}
	for _, b := range kr.Bursts {
		if b.Attempts != 300 || b.Connected+b.Errors != 300 {
			t.Errorf("%s: attempts %d, connected %d, errors %d; want 300 accounted for", b.Profile, b.Attempts, b.Connected, b.Errors)
		}
		if b.Latency.Count() != uint64(b.Connected) {
			t.Errorf("%s: %d latencies for %d connects", b.Profile, b.Latency.Count(), b.Connected)
		}
		if netns.Exists(b.Netns) {
			t.Errorf("%s: namespace %s left behind", b.Profile, b.Netns)
		}
	}
	if got := kr.Bursts[1].Sysctls["net.core.somaxconn"]; got != tunecli.FallbackNet["net.core.somaxconn"] {
		t.Errorf("tuned somaxconn = %q; want %s", got, tunecli.FallbackNet["net.core.somaxconn"])
	}
	if kr.Bursts[0].Sysctls["net.core.somaxconn"] == kr.Bursts[1].Sysctls["net.core.somaxconn"] {
		t.Errorf("defaults and tuned somaxconn both %q; want them to differ", kr.Bursts[0].Sysctls["net.core.somaxconn"])
	}
}
