package tuning

import (
	"reflect"
	"strings"
	"testing"
)

func mustPlan(tb testing.TB, tier, role string, h Host, part string) Plan {
	tb.Helper()
	p, err := Load(tier, role)
	if err != nil {
		tb.Fatal(err)
	}
	pl, err := NewPlan(p, h, part)
	if err != nil {
		tb.Fatal(err)
	}
	return pl
}

func wants(pl Plan) map[string]string {
	m := map[string]string{}
	for _, it := range pl.Items {
		m[it.ID()] = it.Want
	}
	return m
}

var ref16 = Host{RAM: 16 << 30, CPUs: 8, Storage: "ssd", RedisUse: "cache"}
var ref2 = Host{RAM: 2 << 30, CPUs: 1, Storage: "hdd", RedisUse: "cache"}

func TestEveryProfileLoads(t *testing.T) {
	for _, tier := range Tiers {
		for _, role := range Roles {
			p, err := Load(tier, role)
			if err != nil {
				t.Fatalf("Load(%s, %s): %v", tier, role, err)
			}
			if len(p.Settings) == 0 {
				t.Errorf("%s: no settings", p.Name())
			}
		}
	}
}

func TestPlanDeterministic(t *testing.T) {
	for _, tier := range Tiers {
		for _, role := range Roles {
			for _, h := range []Host{ref16, ref2} {
				a, b := mustPlan(t, tier, role, h, ""), mustPlan(t, tier, role, h, "")
				if !reflect.DeepEqual(a.Files, b.Files) {
					t.Errorf("%s-%s: two plans for the same host differ", tier, role)
				}
			}
		}
	}
}

func TestPGTuneReferenceHosts(t *testing.T) {
	big := wants(mustPlan(t, "10k", "postgres", ref16, ""))
	for key, want := range map[string]string{
		"shared_buffers": "4GB", "effective_cache_size": "12GB", "maintenance_work_mem": "1GB",
		"wal_buffers": "16MB", "random_page_cost": "1.1", "effective_io_concurrency": "200",
		"max_parallel_workers_per_gather": "4", "max_worker_processes": "8", "max_parallel_workers": "8",
		"huge_pages": "try", "min_wal_size": "1GB", "max_wal_size": "4GB", "checkpoint_completion_target": "0.9",
		"jit": "off", "wal_compression": "lz4",
	} {
		if got := big[key]; got != want {
			t.Errorf("16GiB/8/ssd %s: got %q; want %q", key, got, want)
		}
	}
	small := wants(mustPlan(t, "10k", "postgres", ref2, ""))
	for key, want := range map[string]string{"shared_buffers": "512MB", "random_page_cost": "4", "effective_io_concurrency": "2", "huge_pages": "off"} {
		if got := small[key]; got != want {
			t.Errorf("2GiB/1/hdd %s: got %q; want %q", key, got, want)
		}
	}
	for _, key := range []string{"max_worker_processes", "max_parallel_workers", "max_parallel_workers_per_gather", "max_parallel_maintenance_workers"} {
		if v, ok := small[key]; ok {
			t.Errorf("2GiB/1/hdd: got %s = %q; want no parallel settings below 4 CPUs", key, v)
		}
	}
}

func TestWorkMemByFormula(t *testing.T) {
	cases := []struct {
		name   string
		h      Host
		tier   string
		wantKB int64
	}{
		// (16 GiB - 4 GiB) / ((120 + 8) * 3) in kB: max_connections 1 x 2 x 50 + 20.
		{"16GiB/8/ssd 10k", ref16, "10k", (16<<20 - 4<<20) / ((120 + 8) * 3)},
		// 100k: 8 workers x 12 + 20 = 116 connections.
		{"16GiB/8/ssd 100k", ref16, "100k", (16<<20 - 4<<20) / ((116 + 8) * 3)},
		// 3 instances of the 10k tier: 3 x 2 x 50 + 20 = 320.
		{"16GiB/8/ssd 10k x3", Host{RAM: 16 << 30, CPUs: 8, Storage: "ssd", RedisUse: "cache", Instances: 3}, "10k", (16<<20 - 4<<20) / ((320 + 8) * 3)},
		// 2 GiB: 1.5 GiB / 384 = 4096 kB, the 4 MB floor exactly; 1 GiB falls under it.
		{"2GiB/1/hdd", ref2, "10k", 4 << 10},
		{"1GiB/1/hdd floor", Host{RAM: 1 << 30, CPUs: 1, Storage: "hdd", RedisUse: "cache"}, "10k", 4 << 10},
	}
	for _, c := range cases {
		got := wants(mustPlan(t, c.tier, "postgres", c.h, ""))["work_mem"]
		if want := formatKB(c.wantKB); got != want {
			t.Errorf("%s work_mem: got %s; want %s", c.name, got, want)
		}
	}
}

func TestMaxConnectionsFromPools(t *testing.T) {
	cases := []struct {
		tier string
		h    Host
		want string
	}{
		{"1k", ref16, "120"},
		{"10k", ref16, "120"},
		{"100k", ref16, "116"},
		{"10k", Host{RAM: 16 << 30, CPUs: 8, Storage: "ssd", RedisUse: "cache", Instances: 4, DBMaxConnections: 200}, "820"},
	}
	for _, c := range cases {
		if got := wants(mustPlan(t, c.tier, "postgres", c.h, ""))["max_connections"]; got != c.want {
			t.Errorf("%s instances=%d max=%d: max_connections got %s; want %s", c.tier, c.h.Instances, c.h.DBMaxConnections, got, c.want)
		}
	}
}

func TestBadHostAndPart(t *testing.T) {
	p, err := Load("10k", "app")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		h    Host
		part string
	}{
		{"ram 0", Host{CPUs: 1, Storage: "ssd", RedisUse: "cache"}, ""},
		{"storage", Host{RAM: 1 << 30, CPUs: 1, Storage: "tape", RedisUse: "cache"}, ""},
		{"part", ref16, "kernel"},
	} {
		if _, err := NewPlan(p, c.h, c.part); err == nil {
			t.Errorf("%s: got no error; want one", c.name)
		}
	}
	if _, err := Load("5k", "app"); err == nil || !strings.Contains(err.Error(), "unknown tier") {
		t.Errorf("Load(5k): got %v; want unknown tier", err)
	}
}

func TestOnlyNetKeepsNetSysctls(t *testing.T) {
	pl := mustPlan(t, "100k", "app", ref16, "net")
	if len(pl.Items) == 0 {
		t.Fatal("no items for --only net")
	}
	for _, it := range pl.Items {
		if it.Kind != KindSysctl || !strings.HasPrefix(it.Key, "net.") {
			t.Errorf("--only net kept %s (%s)", it.ID(), it.Kind)
		}
	}
	if len(pl.Files) != 1 || !strings.HasPrefix(pl.Files[0].Path, "etc/sysctl.d/") {
		t.Errorf("--only net files: got %v; want one sysctl.d file", pl.Files)
	}
}

func TestTcpTwReuseLeftAtDefault(t *testing.T) {
	for _, role := range []string{"app", "lb"} {
		for _, f := range mustPlan(t, "10k", role, ref16, "").Files {
			for _, line := range strings.Split(f.Content, "\n") {
				if strings.HasPrefix(line, "net.ipv4.tcp_tw_reuse") {
					t.Errorf("%s %s writes %q; want it left at the kernel default", role, f.Path, line)
				}
			}
		}
	}
}
