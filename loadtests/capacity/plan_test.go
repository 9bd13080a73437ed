package capacity

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/echosenseix/echosenseix/loadtests/tiers"
)

// testModel has round unit costs: every unit Count 1,000 in 1 s.
func testModel() Model {
	u := func(name string, serverUS, genUS, redis float64) Unit {
		return Unit{Name: name, Count: 1000, Seconds: 1, ServerCPU: serverUS * 1000 / 1e6, GeneratorCPU: genUS * 1000 / 1e6, RedisOps: redis * 1000}
	}
	return Model{Label: "test", BaselineServerCores: 0.01, ServerBaseRSS: 50 << 20, ServerRSSPerSocket: 5000, GeneratorRSSPerSocket: 2000,
		Units: []Unit{
			u(PageUnit("/a"), 20, 10, 1), u(PageUnit("/b"), 40, 10, 0),
			u(UnitWebhook, 100, 50, 5), u(UnitFrame, 10, 8, 0), u(UnitSocketSecond, 0.5, 0.1, 0),
			u(UnitLogin, 40000, 200, 2), u(UnitConnect, 80, 100, 1),
		}}
}

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %.9g, want %.9g", what, got, want)
	}
}

func TestPredictArithmetic(t *testing.T) {
	w := Workload{Users: 10000, ThinkSeconds: 10, Webhooks: 20, Orgs: 10, SocketsPerUser: 1, Sessions: 1000, RampSeconds: 100,
		Pages: []string{"/a", "/b?x=1"}, HTTPConns: 300, Workers: 2, DBPool: 25}
	p := Predict(testModel(), w, Host{Cores: 2, MemoryBytes: 1 << 30})
	// 1,000 page loads/s: 1,000 /a (20 µs) + 1,000 /b (40 µs) = 0.06 cores;
	// webhooks 20 x 100 µs = 0.002; frames 20 x 1,000 sockets per org =
	// 20,000/s x 10 µs = 0.2; idle 10,000 x 0.5 µs = 0.005; baseline 2 x 0.01.
	near(t, "page requests/s", p.PageRequestsPerSecond, 2000)
	near(t, "frames/s", p.FramesPerSecond, 20000)
	near(t, "server cores", p.ServerCores, 0.06+0.002+0.2+0.005+0.02)
	near(t, "generator cores", p.GeneratorCores, 0.02+0.001+0.16+0.001)
	// Ramp: 10 logins/s x 40 ms = 0.4, 100 connects/s x 80 µs = 0.008.
	near(t, "server cores at ramp end", p.ServerCoresRamp, p.ServerCores+0.4+0.008)
	near(t, "redis ops/s", p.RedisOpsPerSec, 1000*1+20*5)
	near(t, "server memory", p.ServerMemoryBytes, 2*50<<20+10000*5000)
	near(t, "generator memory", p.GenMemoryBytes, 10000*2000)
	if p.ServerFDs != 10000+300+50+128 || p.GeneratorFDs != 10000+300+64 {
		t.Errorf("fds = %d, %d", p.ServerFDs, p.GeneratorFDs)
	}
	if p.PostgresConns != 50 {
		t.Errorf("postgres conns = %d, want 50", p.PostgresConns)
	}
	near(t, "logins/s per core", p.LoginsPerSecondPerCore, 25)
	// 0.695 cores at the ramp's end / (2 cores x 0.7) = 1 host.
	if p.ServerHosts != 1 || p.GeneratorHosts != 1 {
		t.Errorf("hosts = %d, %d", p.ServerHosts, p.GeneratorHosts)
	}
	// Ten times the users: 6.9 cores at the ramp end... on 2-core hosts
	// at 70 %: ceil(x / 1.4).
	w.Users, w.Sessions = 100000, 10000
	p = Predict(testModel(), w, Host{Cores: 2, MemoryBytes: 64 << 30})
	want := math.Ceil(p.ServerCoresRamp / 1.4)
	if float64(p.ServerHosts) != want || p.ServerHosts < 2 {
		t.Errorf("server hosts = %d, want %v (%.2f cores)", p.ServerHosts, want, p.ServerCoresRamp)
	}
}

func TestPredictMemoryBoundHosts(t *testing.T) {
	w := Workload{Users: 100000, ThinkSeconds: 30, Orgs: 100, SocketsPerUser: 2}
	// 200,000 sockets x 5,000 B = 1 GB (+50 MiB) on hosts of 512 MiB at 70 %.
	p := Predict(testModel(), w, Host{Cores: 64, MemoryBytes: 512 << 20})
	want := math.Ceil((50<<20 + 200000*5000.0) / (0.7 * (512 << 20)))
	if float64(p.ServerHosts) != want {
		t.Errorf("server hosts = %d, want %v", p.ServerHosts, want)
	}
}

func TestMissingUnitIsFlagged(t *testing.T) {
	m := testModel()
	m.Units = m.Units[:2] // pages only
	p := Predict(m, Workload{Users: 100, ThinkSeconds: 1, Webhooks: 1, Orgs: 1, SocketsPerUser: 1, Pages: []string{"/a"}}, Host{})
	var b strings.Builder
	p.Print(&b, Host{Cores: 2})
	if !strings.Contains(b.String(), "frame (not measured)") {
		t.Errorf("a unit the model lacks is not flagged:\n%s", b.String())
	}
}

func TestRunAverage(t *testing.T) {
	w := Workload{Users: 1000, ThinkSeconds: 1, Webhooks: 10, Orgs: 1, SocketsPerUser: 0, Sessions: 100, RampSeconds: 60, Pages: []string{"/a"}}
	p := Predict(testModel(), w, Host{})
	// Hold: 1,000 /a x 20 µs = 0.02 + 10 webhooks x 100 µs = 0.001.
	// Ramp: half the pages (0.01) + webhooks (0.001) + logins 100/60 x 40 ms.
	s, _ := p.RunAverage(0.01, 120)
	want := 0.01 + (60*(0.01+0.001+100.0/60*0.04)+120*0.021)/180
	near(t, "run average", s, want)
}

func TestFromTierAndDefaultModel(t *testing.T) {
	tr, err := tiers.Load("100k")
	if err != nil {
		t.Fatal(err)
	}
	w := FromTier(tr)
	if w.Users != 100000 || w.Orgs != 100 || w.Workers != 8 || w.SocketsPerUser != 1 || len(w.Pages) != 4 {
		t.Errorf("workload of 100k = %+v", w)
	}
	p := Predict(testModel(), w, Host{Cores: 2})
	near(t, "100k frames/s", p.FramesPerSecond, 100*1000)
	near(t, "100k page requests/s", p.PageRequestsPerSecond, 100000.0/30*4)
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Units) == 0 || m.Unit(UnitFrame).Count == 0 {
		t.Errorf("the committed model has no frame unit: %+v", m)
	}
}

func TestReadModelAndReport(t *testing.T) {
	dir := t.TempDir()
	res := Results{Models: []Model{testModel(), testModel()}, Checks: []Check{{Tier: "smoke", PredictedServer: 0.1, MeasuredServer: 0.12}}}
	res.Models[1].Label = "before"
	if err := Write(dir, res, "extra\n"); err != nil {
		t.Fatal(err)
	}
	m, err := ReadModel(filepath.Join(dir, "results.json.gz"))
	if err != nil || m.Label != "test" || len(m.Units) != len(testModel().Units) {
		t.Fatalf("ReadModel = %+v, %v", m.Label, err)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "report.md"))
	for _, want := range []string{"## Before / after", "| frame |", "| smoke |", "extra"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "units.png")); err != nil || fi.Size() < 1000 {
		t.Errorf("units.png: %v", err)
	}
}

func TestStraceTotal(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.txt")
	text := `% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 97.60    0.312000          10     30125           sendmsg
  2.40    0.007680          40       192         3 write
------ ----------- ----------- --------- --------- ----------------
100.00    0.319680          10     30317         3 total
`
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	n, err := straceCalls(p)
	if err != nil || n != 30317 {
		t.Errorf("straceCalls = %v, %v; want 30317", n, err)
	}
}
