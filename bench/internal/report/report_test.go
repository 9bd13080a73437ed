package report

import (
	"bytes"
	"math"
	"regexp"
	"strings"
	"testing"
)

func TestSummarizeAndSpread(t *testing.T) {
	tests := []struct {
		in     []float64
		want   Stat
		spread float64
	}{
		{nil, Stat{}, 0},
		{[]float64{3, 1, 2}, Stat{Median: 2, Min: 1, Max: 3, N: 3}, 0.5},
		{[]float64{4, 1, 2, 3}, Stat{Median: 2.5, Min: 1, Max: 4, N: 4}, 0.6},
	}
	for _, tt := range tests {
		got := Summarize(tt.in)
		if got != tt.want || math.Abs(got.Spread()-tt.spread) > 1e-9 {
			t.Errorf("Summarize(%v) = %+v spread %v; want %+v spread %v", tt.in, got, got.Spread(), tt.want, tt.spread)
		}
	}
}

func TestRatio(t *testing.T) {
	tests := []struct {
		name       string
		ours, peer []float64
		unit       string
		want       Stat
	}{
		{"paired throughput", []float64{70, 80, 90}, []float64{100, 100, 100}, "req/s", Stat{Median: 0.8, Min: 0.7, Max: 0.9, N: 3}},
		{"paired uses rounds, not medians", []float64{50, 100}, []float64{100, 50}, "req/s", Stat{Median: 1.25, Min: 0.5, Max: 2, N: 2}},
		{"cost is inverted", []float64{1e-6, 1e-6}, []float64{3e-6, 3e-6}, "sec/op", Stat{Median: 3, Min: 3, Max: 3, N: 2}},
		{"unpaired uses medians", []float64{10, 20, 30}, []float64{5}, "ops/s", Stat{Median: 4, Min: 4, Max: 4, N: 1}},
		{"missing peer", []float64{1}, nil, "req/s", Stat{}},
		{"zero peer round skipped", []float64{10, 20}, []float64{0, 10}, "req/s", Stat{Median: 2, Min: 2, Max: 2, N: 1}},
		{"all zero", []float64{10}, []float64{0}, "req/s", Stat{}},
		{"zero cost", []float64{0, 0, 0}, []float64{1}, "sec/op", Stat{}},
	}
	for _, tt := range tests {
		got := Ratio(tt.ours, tt.peer, tt.unit)
		if math.Abs(got.Median-tt.want.Median) > 1e-9 || math.Abs(got.Min-tt.want.Min) > 1e-9 ||
			math.Abs(got.Max-tt.want.Max) > 1e-9 || got.N != tt.want.N {
			t.Errorf("%s: Ratio = %+v; want %+v", tt.name, got, tt.want)
		}
	}
}

func sampleMeasurements() []Measurement {
	return []Measurement{
		{Name: "HTTP/ep=health-live/c=256/srv=ours", Kind: "macro", Unit: "req/s", Samples: []float64{75e3, 80e3, 72e3},
			Extra: map[string][]float64{"server-cpu-sec/op": {11e-6, 12e-6, 11e-6}, "gen-cpu-sec/op": {6e-6, 6e-6, 6e-6}, "p99-sec": {0.004, 0.005, 0.004}}},
		{Name: "HTTP/ep=health-live/c=256/srv=nginx", Kind: "macro", Unit: "req/s", Samples: []float64{100e3, 100e3, 100e3},
			Extra: map[string][]float64{"server-cpu-sec/op": {7e-6, 7e-6, 7e-6}}},
		{Name: "HTTP/ep=agent/c=256/srv=ours", Kind: "macro", Unit: "req/s", Samples: []float64{50e3, 50e3, 50e3}},
		{Name: "Get/hit", Kind: "micro", Pkg: "example/server/inmem", Unit: "sec/op", Samples: []float64{30e-9, 31e-9},
			Extra: map[string][]float64{"allocs/op": {1, 1}}},
	}
}

func TestBuildRowsAndGoals(t *testing.T) {
	ms := sampleMeasurements()
	rows := BuildRows(ms, []RowSpec{
		{Title: "GET /health/live", Ours: ms[0].Key(), Peer: ms[1].Key(), PeerLabel: "nginx", Goals: []Goal{{Metric: "ratio", Op: ">=", Value: 0.7, Text: "≥ 0.7×"}}},
		{Title: "agent vs nginx (fails)", Ours: ms[2].Key(), Peer: ms[1].Key(), PeerLabel: "nginx", Goals: []Goal{{Metric: "ratio", Op: ">=", Value: 0.7}}},
		{Title: "no such", Ours: "missing"},
		{Title: "cache hit", Ours: ms[3].Key(), Goals: []Goal{{Metric: "allocs", Op: "<=", Value: 0, Text: "0 allocs"}}},
		{Title: "p99 unknown", Ours: ms[2].Key(), Goals: []Goal{{Metric: "p99", Op: "<=", Value: 0.05}}},
	})
	if len(rows) != 4 {
		t.Fatalf("got %d rows; want 4 (missing measurement skipped)", len(rows))
	}
	for i, want := range []string{"pass", "FAIL", "FAIL", "n/a"} {
		if rows[i].Verdict != want {
			t.Errorf("row %q verdict = %q; want %q", rows[i].Title, rows[i].Verdict, want)
		}
	}
	if r := rows[0].Ratio; r == nil || math.Abs(r.Median-0.75) > 1e-9 || r.N != 3 {
		t.Errorf("health ratio = %+v; want median 0.75 over 3 rounds", r)
	}
	if got, want := rows[0].Cost, "11.0 µs vs 7.0 µs (gen 6.0 µs)"; got != want {
		t.Errorf("cost = %q; want %q", got, want)
	}
	c := rows[0].Cells()
	if c[1] != "75.0k req/s ±7% (p99 4.00 ms)" || c[2] != "nginx: 100k req/s ±0%" || c[3] != "0.75× (0.72–0.80)" {
		t.Errorf("cells = %q", c)
	}
	var md bytes.Buffer
	Markdown(&md, rows)
	if lines := strings.Count(md.String(), "\n"); lines != 6 || !strings.Contains(md.String(), "→ pass") {
		t.Errorf("markdown has %d lines; want 6 with a pass:\n%s", lines, md.String())
	}
}

func TestFormatValue(t *testing.T) {
	tests := []struct {
		v    float64
		unit string
		want string
	}{
		{1.5e-9 * 100, "sec/op", "150 ns/op"},
		{2.5e-6, "sec/op", "2.50 µs/op"},
		{0.0123, "sec", "12.3 ms"},
		{123456, "req/s", "123k req/s"},
		{2.5e6, "ops/s", "2.50M ops/s"},
		{0.7, "ratio", "0.70×"},
		{0, "allocs/op", "0 allocs/op"},
	}
	for _, tt := range tests {
		if got := FormatValue(tt.v, tt.unit); got != tt.want {
			t.Errorf("FormatValue(%v, %q) = %q; want %q", tt.v, tt.unit, got, tt.want)
		}
	}
}

func TestBenchfmtRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	err := WriteBenchfmt(&buf, map[string]string{"pkg": "http", "goos": "linux"}, []BenchLine{
		{Name: "HTTP/ep=health live/srv=ours", Iters: 1000, Values: []Value{{98000, "req/s"}, {0.004, "p99-sec"}}},
		{Name: "HTTP/ep=health live/srv=ours", Iters: 1000, Values: []Value{{99000, "req/s"}, {0.005, "p99-sec"}}},
		{Name: "Ratio/health", Iters: 0, Values: []Value{{0.71, "ratio"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "goos: linux\npkg: http\nBenchmarkHTTP/ep=health_live/srv=ours\t1000\t98000 req/s\t0.004 p99-sec\n") {
		t.Errorf("benchfmt text:\n%s", buf.String())
	}
	got, err := ReadSamples(&buf, "x")
	if err != nil {
		t.Fatal(err)
	}
	if s := got["http HTTP/ep=health_live/srv=ours"]["req/s"]; len(s) != 2 || s[1] != 99000 {
		t.Errorf("read back req/s = %v; want [98000 99000]", s)
	}
	if s := got["http Ratio/health"]["ratio"]; len(s) != 1 || s[0] != 0.71 {
		t.Errorf("read back ratio = %v; want [0.71]", s)
	}
}

func TestParseGoBenchAndMicroSpecs(t *testing.T) {
	out := `goos: linux
pkg: github.com/echosenseix/echosenseix/bench
BenchmarkJSON/agent/encode/sonic-2   	 1000	      1500 ns/op	 560.31 MB/s	    1084 B/op	       4 allocs/op
BenchmarkJSON/agent/encode/sonic-2   	 1000	      1400 ns/op	 560.31 MB/s	    1084 B/op	       4 allocs/op
BenchmarkJSON/agent/encode/encoding_json-2 	 1000	      2800 ns/op	 580.73 MB/s	     993 B/op	       3 allocs/op
BenchmarkJSON/agent/encode/sonic_fast-2    	 1000	       460 ns/op	1816.25 MB/s	    1028 B/op	       4 allocs/op
pkg: github.com/echosenseix/echosenseix/server/inmem
BenchmarkCacheGet/hit-2  	 1000	  25 ns/op	 0 B/op	 0 allocs/op
PASS
ok  	github.com/echosenseix/echosenseix/bench	0.055s
`
	ms := ParseGoBench(strings.NewReader(out))
	if len(ms) != 4 {
		t.Fatalf("got %d measurements; want 4: %+v", len(ms), ms)
	}
	if ms[0].Name != "JSON/agent/encode/sonic" || len(ms[0].Samples) != 2 || math.Abs(ms[0].Samples[1]-1400e-9) > 1e-15 || ms[0].Extra["allocs/op"][0] != 4 {
		t.Errorf("first = %+v", ms[0])
	}
	specs := MicroSpecs(ms, []PairRule{{Ours: "sonic", Peer: "encoding_json", Label: "encoding/json"}, {Ours: "encode", Peer: "decode"}},
		[]GoalRule{{Match: regexp.MustCompile(`server/inmem .*hit`), Goal: Goal{Metric: "allocs", Op: "<=", Value: 0}}})
	if len(specs) != 3 {
		t.Fatalf("got %d specs; want 3 (encoding_json folded into sonic's row): %+v", len(specs), specs)
	}
	if specs[0].PeerLabel != "encoding/json" || !strings.HasSuffix(specs[0].Peer, "encoding_json") {
		t.Errorf("sonic spec = %+v; want paired with encoding_json", specs[0])
	}
	rows := BuildRows(ms, specs)
	if rows[0].Cost != "4 allocs vs 3" {
		t.Errorf("sonic cost = %q; want 4 allocs vs 3", rows[0].Cost)
	}
	if rows[0].Ratio == nil || math.Abs(rows[0].Ratio.Median-2.8e-6/1.45e-6) > 1e-9 {
		t.Errorf("sonic ratio = %+v; want 2800/1450", rows[0].Ratio)
	}
	if rows[2].Verdict != "pass" || rows[2].Cost != "0 allocs" {
		t.Errorf("cache hit row = %+v; want pass with 0 allocs", rows[2])
	}
}

func TestCompare(t *testing.T) {
	old := map[string]map[string][]float64{
		"p A": {"sec/op": {100, 101, 99, 100, 102}, "allocs/op": {0, 0, 0, 0, 0}, "req/s": {1, 1, 1, 1, 1}},
		"p B": {"sec/op": {100, 101, 99, 100, 102}},
		"p C": {"ratio": {0.8, 0.81, 0.79, 0.8, 0.8}},
	}
	cur := map[string]map[string][]float64{
		"p A": {"sec/op": {130, 131, 129, 130, 132}, "allocs/op": {1, 1, 1, 1, 1}, "req/s": {0.1, 0.1, 0.1, 0.1, 0.1}},
		"p B": {"sec/op": {103, 101, 99, 104, 102}}, // within noise and threshold
		"p C": {"ratio": {0.6, 0.61, 0.59, 0.6, 0.6}},
	}
	regs := Compare(old, cur, 0.10, 0.05)
	var got []string
	for _, r := range regs {
		got = append(got, r.Benchmark+" "+r.Unit)
	}
	want := []string{"p A allocs/op", "p A sec/op", "p C ratio"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("regressions = %v; want %v", got, want)
	}
	if len(regs) > 1 && (math.Abs(regs[1].Change-0.3) > 1e-9 || regs[1].P >= 0.05) {
		t.Errorf("A sec/op = %+v; want +30%% with p < 0.05", regs[1])
	}
}

func TestHTML(t *testing.T) {
	ms := sampleMeasurements()
	rows := BuildRows(ms, []RowSpec{{Title: "GET /health/live <x>", Ours: ms[0].Key(), Peer: ms[1].Key(), PeerLabel: "nginx",
		Goals: []Goal{{Metric: "ratio", Op: ">=", Value: 0.7, Text: "≥ 0.7×"}}}})
	var buf bytes.Buffer
	if err := HTML(&buf, "bench", map[string]string{"cpus": "2"}, rows, []string{"note & more"}); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	for _, want := range []string{"<svg", "<rect", "0.75×", "&lt;x&gt;", "note &amp; more", `class="pass"`, "<th>cpus</th><td>2</td>"} {
		if !strings.Contains(s, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "http://", "https://", "<link"} {
		if strings.Contains(strings.ReplaceAll(s, `xmlns="http://www.w3.org/2000/svg"`, ""), bad) {
			t.Errorf("HTML is not self-contained: has %q", bad)
		}
	}
}

func TestMicroSpecsMiddleElementAndSeveralPairs(t *testing.T) {
	ms := []Measurement{
		{Name: "RedisCacheGet/client-side-hit/parallel", Kind: "micro", Pkg: "r", Unit: "sec/op", Samples: []float64{100e-9}},
		{Name: "RedisCacheGet/no-client-side/parallel", Kind: "micro", Pkg: "r", Unit: "sec/op", Samples: []float64{5000e-9}},
		{Name: "RedisCacheGet/memory/parallel", Kind: "micro", Pkg: "r", Unit: "sec/op", Samples: []float64{60e-9}},
		{Name: "Other", Kind: "micro", Pkg: "r", Unit: "sec/op", Samples: []float64{1e-9}},
	}
	specs := MicroSpecs(ms, []PairRule{
		{Ours: "client-side-hit", Peer: "no-client-side", Label: "Redis round trip", Goals: []Goal{{Metric: "ratio", Op: ">=", Value: 10}}},
		{Ours: "client-side-hit", Peer: "memory", Goals: []Goal{{Metric: "ratio", Op: ">=", Value: 0.5}}},
	}, nil)
	rows := BuildRows(ms, specs)
	if len(rows) != 3 {
		t.Fatalf("got %d rows; want 3 (two pairs + Other): %+v", len(rows), specs)
	}
	if rows[0].PeerLabel != "Redis round trip" || rows[0].Verdict != "pass" || math.Abs(rows[0].Ratio.Median-50) > 1e-9 {
		t.Errorf("row 0 = %+v; want 50× vs the round trip, pass", rows[0])
	}
	if rows[1].PeerLabel != "memory" || rows[1].Verdict != "pass" || math.Abs(rows[1].Ratio.Median-0.6) > 1e-9 {
		t.Errorf("row 1 = %+v; want 0.6× vs memory, pass", rows[1])
	}
	if rows[2].Title != "r Other" || rows[2].Peer != nil {
		t.Errorf("row 2 = %+v; want Other alone", rows[2])
	}
}
