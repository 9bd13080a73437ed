package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/bench/internal/load"
	"github.com/echosenseix/echosenseix/bench/internal/report"
	"github.com/echosenseix/echosenseix/bench/peer"
	"github.com/echosenseix/echosenseix/loadtests/loadgen"
)

func TestConfigFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := configFromEnv(env(nil))
	if err != nil || c.Rounds != 6 || c.Duration != 2*time.Second || c.Count != 6 || !c.Stages["micro"] || !c.Servers["nginx"] {
		t.Errorf("defaults = %+v, %v", c, err)
	}
	c, err = configFromEnv(env(map[string]string{"BENCH_QUICK": "1", "BENCH_ONLY": "macro", "BENCH_ROUNDS": "2", "BENCH_DRIVER": "raw"}))
	if err != nil || !c.Quick || c.Rounds != 2 || c.Duration != time.Second || c.Stages["micro"] || !c.Stages["macro"] || c.Driver != "raw" {
		t.Errorf("quick = %+v, %v", c, err)
	}
	for _, bad := range []map[string]string{{"BENCH_ROUNDS": "x"}, {"BENCH_DRIVER": "k6"}, {"BENCH_DURATION": "0s"}, {"BENCH_PKGS": "("}, {"BENCH_BUDGET": "soon"}} {
		_, err := configFromEnv(env(bad))
		for name := range bad {
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("configFromEnv(%v): got %v; want an error naming %s", bad, err, name)
			}
		}
	}
}

func meas(name, unit string, samples ...float64) report.Measurement {
	return report.Measurement{Name: name, Kind: "macro", Unit: unit, Samples: samples, Extra: map[string][]float64{}}
}

// TestMacroRowsGoals builds the table from made-up figures and checks every
// goal is evaluated the right way round.
func TestMacroRowsGoals(t *testing.T) {
	h := func(ep, srv string) string { return httpName(ep, 256, srv) }
	big := meas(httpName("webhook", 1000, "batch-on"), "req/s", 30000, 31000, 29000)
	big.Extra["p99-sec"] = []float64{0.020, 0.030, 0.025}
	ms := []report.Measurement{
		meas(h("health-live", "ours"), "req/s", 100, 110, 90),
		meas(h("health-live", "nginx"), "req/s", 140, 140, 140), // 0.71×: pass
		meas(h("health-live", "peer"), "req/s", 60, 60, 60),     // 1.67×: pass
		meas(h("agent", "ours"), "req/s", 70, 80, 70),           // vs health 0.7–0.78: fail
		meas(h("agent", "peer"), "req/s", 50, 50, 50),           // 1.4–1.6: median 1.4: fail
		big,
		meas(httpName("webhook", 1000, "batch-off"), "req/s", 5000, 6000, 5500), // ≈5.6×: pass
	}
	var specs []report.RowSpec
	for _, r := range macroRows(256, 1000) {
		specs = append(specs, r.spec)
	}
	rows := report.BuildRows(ms, specs)
	got := map[string]string{}
	for _, r := range rows {
		got[r.Title+" vs "+r.PeerLabel] = r.Verdict
	}
	want := map[string]string{
		"GET /health/live c256 vs nginx static 200":                             "pass",
		"GET /health/live c256 vs net/http peer":                                "pass",
		"GET /api/agents/:id cached c256 vs our /health/live":                   "FAIL",
		"GET /api/agents/:id cached c256 vs net/http peer":                      "FAIL",
		"webhook ingest, group commit, c1000 vs single inserts":                 "pass",
		"net/http peer GET /health/live c256 vs nginx static 200":               "",
		"webhook ingest, group commit, c1000 vs pgbench single-row INSERT -c32": "",
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("row %q: verdict %q (present %v); want %q", k, g, ok, v)
		}
	}
	lines := ratioLines(ms, macroRows(256, 1000))
	n := 0
	for _, l := range lines {
		if l.Name == "Ratio/health-live/ours-vs-nginx" {
			n++
		}
	}
	if n != 3 {
		t.Errorf("got %d ratio lines for health-live/ours-vs-nginx; want 3 (one per round)", n)
	}
}

func TestDerivedAndParsers(t *testing.T) {
	ms := derived([]report.Measurement{{Name: "RedisCacheGet/no-client-side/parallel", Kind: "micro",
		Pkg: "github.com/echosenseix/echosenseix/server/redis", Samples: []float64{10e-6, 20e-6}}})
	if len(ms) != 1 || ms[0].Name != derivedRTT || math.Abs(ms[0].Samples[0]-100000) > 1e-6 || math.Abs(ms[0].Samples[1]-50000) > 1e-6 {
		t.Errorf("derived = %+v; want 100k and 50k ops/s", ms)
	}
	rps, err := parseRedisCSV([]byte("\"test\",\"rps\",\"avg_latency_ms\"\n\"GET\",\"97087.38\",\"0.271\"\n"))
	if err != nil || rps != 97087.38 {
		t.Errorf("parseRedisCSV = %v, %v; want 97087.38", rps, err)
	}
	if _, err := parseRedisCSV([]byte("nothing")); err == nil {
		t.Error("parseRedisCSV(nothing): got nil error; want one")
	}
	m := tpsLine.FindSubmatch([]byte("latency average = 1.2 ms\ntps = 25123.456789 (without initial connection time)\n"))
	if m == nil || string(m[1]) != "25123.456789" {
		t.Errorf("tpsLine = %q; want 25123.456789", m)
	}
	conf := nginxConf("/tmp/x", "127.0.0.1:8080")
	for _, want := range []string{"worker_processes 2;", "listen 127.0.0.1:8080;", `return 200 "ok";`, "pid /tmp/x/nginx.pid;", "access_log off;"} {
		if !strings.Contains(conf, want) {
			t.Errorf("nginx.conf lacks %q", want)
		}
	}
}

func TestWebhookTargetSigns(t *testing.T) {
	sd := loadgen.Seed{Organizations: []loadgen.SeedOrg{{ID: "o", WebhookSecret: "s3cret",
		Agents: []loadgen.SeedAgent{{ID: "a1", ExternalAgentID: "ext1"}, {ID: "a2", ExternalAgentID: "ext2"}}}}}
	tg := webhookTarget(sd, "on")
	seen := map[string]bool{}
	for seq := uint64(0); seq < 4; seq++ {
		body, hdr := tg.Body(3, seq)
		var v struct {
			Data struct {
				AgentID        string `json:"agent_id"`
				ConversationID string `json:"conversation_id"`
			} `json:"data"`
		}
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatal(err)
		}
		if seen[v.Data.ConversationID] {
			t.Errorf("conversation id %q repeated", v.Data.ConversationID)
		}
		seen[v.Data.ConversationID] = true
		var sig string
		for _, h := range hdr {
			if s, ok := strings.CutPrefix(h, "ElevenLabs-Signature: "); ok {
				sig = s
			}
		}
		ts, mac, _ := strings.Cut(strings.TrimPrefix(sig, "t="), ",v0=")
		hm := hmac.New(sha256.New, []byte("s3cret"))
		hm.Write([]byte(ts + "." + string(body)))
		if want := hex.EncodeToString(hm.Sum(nil)); mac != want {
			t.Errorf("signature %q; want v0=%s", sig, want)
		}
	}
}

func TestFitBudget(t *testing.T) {
	m := &macro{cfg: config{Rounds: 5, Duration: 3 * time.Second, Warmup: 2 * time.Second}, p: newProgress(io.Discard)}
	m.groups = [][]*scenario{make([]*scenario, 10)} // 10 runs a round: 34 s, warm-up 24 s
	m.fitBudget(10 * time.Minute)
	if m.cfg.Rounds != 5 || len(m.notes) != 0 {
		t.Errorf("plenty of time: rounds %d, notes %q; want 5, none", m.cfg.Rounds, m.notes)
	}
	m.fitBudget(2 * time.Minute) // 24 s + 2×34 s fits, 3 does not: floor 3
	if m.cfg.Rounds != 3 || len(m.notes) != 1 {
		t.Errorf("short budget: rounds %d, notes %q; want 3 and a note", m.cfg.Rounds, m.notes)
	}
}

func TestRegressions(t *testing.T) {
	oldDir, newDir := t.TempDir(), t.TempDir()
	write := func(dir, body string) {
		if err := os.WriteFile(filepath.Join(dir, "bench.txt"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var o, n strings.Builder
	o.WriteString("pkg: p\n")
	n.WriteString("pkg: p\n")
	for i := 0; i < 5; i++ {
		o.WriteString("BenchmarkSlow-2 1000 100 ns/op 0 allocs/op\nBenchmarkSame-2 1000 100 ns/op\n")
		n.WriteString("BenchmarkSlow-2 1000 150 ns/op 0 allocs/op\nBenchmarkSame-2 1000 101 ns/op\n")
		o.WriteString("BenchmarkRatio/health 1 0.80 ratio\n")
		n.WriteString("BenchmarkRatio/health 1 0.60 ratio\n")
	}
	write(oldDir, o.String())
	write(newDir, n.String())
	regs, err := regressions(oldDir, newDir, 0.10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range regs {
		got = append(got, r.Benchmark+" "+r.Unit)
	}
	if want := "p Ratio/health ratio,p Slow sec/op"; strings.Join(got, ",") != want {
		t.Errorf("regressions = %v; want %s", got, want)
	}
	if _, err := regressions(oldDir, t.TempDir(), 0.1); err == nil {
		t.Error("regressions(empty dir): got nil error; want one")
	}
}

func TestMissingIsOneLine(t *testing.T) {
	s := services{PGErr: errors.New("no DATABASE_URL and no initdb binary"), RedisErr: errors.New("no REDIS_URL and no redis-server binary")}
	line := s.missing([]string{"nginx not installed: no nginx ceiling"})
	if strings.Count(line, "\n") != 0 || !strings.HasPrefix(line, "unavailable: postgres") ||
		!strings.Contains(line, "redis (") || !strings.Contains(line, "nginx not installed") {
		t.Errorf("missing = %q; want one line naming postgres, redis and nginx", line)
	}
	if got := (services{}).missing(nil); got != "" {
		t.Errorf("nothing missing: got %q; want empty", got)
	}
	env := s.childEnv([]string{"CI=true", "PATH=/bin", "DATABASE_URL=x"})
	if strings.Join(env, " ") != "PATH=/bin" {
		t.Errorf("childEnv = %v; want CI and the unavailable URLs dropped", env)
	}
}

func TestCPUNotes(t *testing.T) {
	m := meas("HTTP/x", "req/s", 1)
	m.Extra["server-cores"], m.Extra["gen-cores"], m.Extra["other-cores"] = []float64{0.5}, []float64{0.9}, []float64{0}
	m.Driver = "wrk"
	notes := cpuNotes([]report.Measurement{m})
	if len(notes) != 1 || !strings.Contains(notes[0], "generator-bound") || !strings.Contains(notes[0], "server 0.50") {
		t.Errorf("cpuNotes = %q; want a generator-bound warning", notes)
	}
}

// TestMacroSmoke drives the real net/http peer (in this process) and, when
// installed, nginx through the whole macro path: scenarios, interleaved
// rounds, CPU accounting, measurements and every output file.
func TestMacroSmoke(t *testing.T) {
	dir := t.TempDir()
	srv := httptest.NewServer(peer.New(peer.DemoConfig(10, 50)))
	defer srv.Close()
	self, _ := os.FindProcess(os.Getpid())
	pp := &process{Name: "peer", Addr: srv.Listener.Addr().String(), cmd: &exec.Cmd{Process: self}, exited: make(chan struct{})}
	cfg := config{Rounds: 2, Duration: 200 * time.Millisecond, Warmup: 50 * time.Millisecond, Conns: 4, BigConns: 8, Driver: "raw"}
	m := &macro{cfg: cfg, dir: dir, p: newProgress(io.Discard)}
	cookie, err := login(pp.Addr, peer.DemoEmail, peer.DemoPassword)
	if err != nil {
		t.Fatal(err)
	}
	m.add(gHealth, "health-live", "peer", 4, pp, load.Target{Paths: []string{"/health/live"}})
	m.add(gHealth, "health-live", "ours", 4, pp, load.Target{Paths: []string{"/health/live"}}) // stands in for ours
	m.add(gPage, "page", "peer", 4, pp, load.Target{Paths: pagePaths, Header: []string{cookie}})
	if _, err := exec.LookPath("nginx"); err == nil {
		ng, err := startNginx(context.Background(), dir)
		if err != nil {
			t.Fatalf("nginx: %v", err)
		}
		defer ng.Stop()
		m.add(gHealth, "health-live", "nginx", 4, ng, load.Target{Paths: []string{"/"}})
	}
	m.runAll(context.Background())
	ms, lines := macroMeasurements(m.groups)
	if len(m.notes) != 0 {
		t.Errorf("notes = %q; want none", m.notes)
	}
	for _, mm := range ms {
		if len(mm.Samples) != 2 || mm.Samples[0] <= 0 || mm.Note != "" {
			t.Errorf("%s: samples %v, note %q; want 2 positive rounds without errors", mm.Name, mm.Samples, mm.Note)
		}
		if mm.Name == httpName("page", 4, "peer") && mm.Unit != "pages/s" {
			t.Errorf("page unit = %q; want pages/s", mm.Unit)
		}
	}
	rows := macroRows(4, 8)
	lines = append(lines, ratioLines(ms, rows)...)
	var specs []report.RowSpec
	for _, r := range rows {
		specs = append(specs, r.spec)
	}
	res := results{Env: map[string]string{"cpus": "2", "date": "today"}, Rounds: 2, Duration: "200ms",
		Measurements: ms, Rows: report.BuildRows(ms, specs), Notes: cpuNotes(ms)}
	if err := writeOutputs(dir, res, lines, []byte("pkg: x\nBenchmarkA-2\t10\t100 ns/op\t0 allocs/op\n")); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"table.md", "ratios.html", "results.json", "macro.txt", "bench.txt"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v; want a non-empty file", f, err)
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, "table.md"))
	if !strings.Contains(string(md), "GET /health/live c4 | ") || !strings.Contains(string(md), "net/http peer") {
		t.Errorf("table.md lacks the health row:\n%s", md)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "bench.txt"))
	got, err := report.ReadSamples(bytes.NewReader(b), "bench.txt")
	if err != nil || len(got["x A"]["sec/op"]) != 1 || len(got["macro Ratio/health-live/ours-vs-peer"]["ratio"]) != 2 {
		t.Errorf("bench.txt samples = %v, %v; want the micro line and 2 ratio rounds", got, err)
	}
	// The comparison of a folder with itself finds nothing.
	if regs, err := regressions(dir, dir, 0.1); err != nil || len(regs) != 0 {
		t.Errorf("regressions(self) = %v, %v; want none", regs, err)
	}
}
