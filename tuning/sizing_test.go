package tuning

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/echosenseix/echosenseix/loadtests/tiers"
)

func nextPow2(n int) int {
	p := 1
	for p < n {
		p *= 2
	}
	return p
}

func literal(tb testing.TB, p Profile, id string) int {
	tb.Helper()
	for _, s := range p.Settings {
		if s.ID() == id {
			n, err := strconv.Atoi(strings.Fields(s.Value)[0])
			if err != nil {
				tb.Fatalf("%s %s: %v", p.Name(), id, err)
			}
			return n
		}
	}
	tb.Fatalf("%s: no setting %s", p.Name(), id)
	return 0
}

// TestProfilesSizedFromTiers recomputes every connection-sized value from
// loadtests/tiers/tiers.json, so a tier that grows fails here until its
// profiles follow.
func TestProfilesSizedFromTiers(t *testing.T) {
	for _, name := range Tiers {
		tier, err := tiers.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		c := tier.Connections()
		nofile := nextPow2(2 * (c + 100 + 64))
		somax := max(4096, min(nextPow2(c), 65535))
		app, lb, pg, rd := mustLoad(t, name, "app"), mustLoad(t, name, "lb"), mustLoad(t, name, "postgres"), mustLoad(t, name, "redis")
		wc := nextPow2(2 * c)
		checks := []struct {
			p    Profile
			id   string
			want int
		}{
			{app, "echosenseix.service/LimitNOFILE", nofile},
			{app, "fs.file-max", max(1<<20, 8*nofile)},
			{app, "fs.nr_open", max(1<<20, nofile)},
			{app, "net.core.somaxconn", somax},
			{app, "net.ipv4.tcp_max_syn_backlog", somax},
			{lb, "net.core.somaxconn", somax},
			{lb, "worker_connections", wc},
			{lb, "worker_rlimit_nofile", 2 * wc},
			{lb, "nginx.service/LimitNOFILE", 2 * wc},
			{lb, "listen backlog", somax},
			{lb, "maxconn", nextPow2(c)},
			{lb, "bind backlog", somax},
			{rd, "net.core.somaxconn", somax},
			{rd, "tcp-backlog", somax},
		}
		for _, ch := range checks {
			if got := literal(t, ch.p, ch.id); got != ch.want {
				t.Errorf("%s %s: got %d; want %d (from %d connections)", ch.p.Name(), ch.id, got, ch.want, c)
			}
		}
		if pg.Pools.Workers != tier.Server.ClusterWorkers {
			t.Errorf("%s pools.workers: got %d; want the tier's %d cluster workers", pg.Name(), pg.Pools.Workers, tier.Server.ClusterWorkers)
		}
		soft := pubsubSoftBytes(t, rd)
		if need := 2 * tier.WebhooksPerSecond * 2048 * 60; float64(soft) < need {
			t.Errorf("%s pubsub soft limit %d B; want at least %.0f B (2 x 60 s of %g events/s x 2 KB)", rd.Name(), soft, need, tier.WebhooksPerSecond)
		}
	}
}

func mustLoad(tb testing.TB, tier, role string) Profile {
	tb.Helper()
	p, err := Load(tier, role)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func pubsubSoftBytes(tb testing.TB, p Profile) int64 {
	tb.Helper()
	for _, s := range p.Settings {
		if s.Key == "client-output-buffer-limit" {
			n, err := parseNumber(strings.Fields(s.Value)[2])
			if err != nil {
				tb.Fatal(err)
			}
			return int64(n)
		}
	}
	tb.Fatalf("%s: no client-output-buffer-limit", p.Name())
	return 0
}

// TestSysctlKeysExist: every sysctl and sysfs key any profile writes
// exists on this kernel.
func TestSysctlKeysExist(t *testing.T) {
	sys := System{Root: "/"}
	for _, tier := range Tiers {
		for _, role := range Roles {
			for _, s := range mustLoad(t, tier, role).Settings {
				var p string
				switch s.Kind {
				case KindSysctl:
					p = sys.path(s.Key)
				case KindSysfs:
					p = sys.sysfsPath(s.Key)
				default:
					continue
				}
				if _, err := os.Stat(p); err != nil {
					t.Errorf("%s-%s %s: %v", tier, role, s.Key, err)
				}
			}
		}
	}
}
