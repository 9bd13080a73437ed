package loadgen

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/loadtests/tiers"
)

// syntheticResult builds a result with n requests of latency lat per type.
func syntheticResult(rps float64, lat time.Duration, errs int64) *Result {
	col := NewCollector(time.Now().Add(-3*time.Second), 0)
	sh := col.Shard()
	for i := 0; i < 1000; i++ {
		end := col.start.Add(lat + time.Duration(i)*2*time.Millisecond)
		kind := ""
		if int64(i) < errs {
			kind = "status_503"
		}
		sh.Record("GET /api/agents", end.Add(-lat), end, kind)
		sh.Record(TypeWebhook, end.Add(-lat), end, "")
	}
	col.Users.Store(10)
	col.Sample(col.start.Add(time.Second))
	r := col.Result("synthetic", time.Duration(float64(2000)/rps*float64(time.Second)))
	r.Machine = ThisMachine()
	return r
}

func TestThresholdsDecideExitCode(t *testing.T) {
	th := tiers.Thresholds{MaxErrorRate: 0.001, P95Ms: 50, P99Ms: 100, MinSocketRatio: 0.99}
	tests := []struct {
		name    string
		lat     time.Duration
		errs    int64
		sockets int64
		want    int
	}{
		{"all good", 10 * time.Millisecond, 0, 10, ExitPass},
		{"p99 over", 150 * time.Millisecond, 0, 10, ExitFail},
		{"errors over", 10 * time.Millisecond, 50, 10, ExitFail},
		{"sockets missing", 10 * time.Millisecond, 0, 5, ExitFail},
	}
	for _, tc := range tests {
		r := syntheticResult(1000, tc.lat, tc.errs)
		r.Sockets.OpenAtEnd = tc.sockets
		Evaluate(r, th, true, 10)
		if got := ExitCode(r); got != tc.want {
			t.Errorf("%s: got exit %d; want %d (checks %+v)", tc.name, got, tc.want, r.Checks)
		}
	}
	empty := &Result{Types: map[string]*TypeResult{}}
	empty.Finalize()
	Evaluate(empty, th, false, 0)
	if ExitCode(empty) != ExitFail {
		t.Error("a run without requests passed; want a failure")
	}
}

func TestCompareFlagsRegressions(t *testing.T) {
	base := syntheticResult(1000, 10*time.Millisecond, 0)
	tests := []struct {
		name string
		new  *Result
		want bool
	}{
		{"same", syntheticResult(1000, 10*time.Millisecond, 0), false},
		{"slightly slower within 10%", syntheticResult(1000, 10500*time.Microsecond, 0), false},
		{"latency +50%", syntheticResult(1000, 15*time.Millisecond, 0), true},
		{"throughput -30%", syntheticResult(700, 10*time.Millisecond, 0), true},
		{"errors appear", syntheticResult(1000, 10*time.Millisecond, 5), true},
		{"faster", syntheticResult(1300, 5*time.Millisecond, 0), false},
	}
	for _, tc := range tests {
		var out strings.Builder
		if got := PrintDiffs(&out, Compare(base, tc.new, 0.10)); got != tc.want {
			t.Errorf("%s: got regression %v; want %v\n%s", tc.name, got, tc.want, out.String())
		}
	}
}

func TestReportsWrittenAndReadBack(t *testing.T) {
	r := syntheticResult(1000, 10*time.Millisecond, 3)
	Evaluate(r, tiers.Thresholds{MaxErrorRate: 0.01, P99Ms: 100}, false, 0)
	dir := t.TempDir()
	if err := WriteReports(dir, r); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(page), "<svg"); n != 4 {
		t.Errorf("report.html has %d SVG charts; want 4", n)
	}
	for _, bad := range []string{"<script", "http://cdn", "https://", "<link"} {
		if strings.Contains(string(page), bad) {
			t.Errorf("report.html contains %q; want self-contained", bad)
		}
	}
	md, err := os.ReadFile(filepath.Join(dir, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| GET /api/agents |", "| webhook |", "| p99 ms | 100 |", "PASS", "status_503 3"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("summary.md lacks %q:\n%s", want, md)
		}
	}
	back, err := ReadResult(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if back.Requests != r.Requests || back.Latency.P99 != r.Latency.P99 || back.Machine.NumCPU == 0 || len(back.Timeseries) == 0 {
		t.Errorf("read back requests %d p99 %v nproc %d seconds %d; want %d %v > 0 > 0",
			back.Requests, back.Latency.P99, back.Machine.NumCPU, len(back.Timeseries), r.Requests, r.Latency.P99)
	}
	if back.Types["webhook"].Hist.Count() != r.Types["webhook"].Hist.Count() {
		t.Error("per-type histogram lost in results.json")
	}
	for _, want := range []string{"<td class=l>GET /api/agents</td>", "<td class=l>webhook</td>", "<td class=l>p99 ms</td><td class=r>100</td>",
		"<b>total (judged)</b>", "Errors by kind: status_503 3;"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if n := strings.Count(string(page), "\n"); n != 1 {
		t.Errorf("report.html has %d lines; want 1 (generated, one line like its charts)", n)
	}
}

// TestHTMLRegeneratedFromGzip proves report.html is regenerable from the
// compressed results.json.gz that loadtests/results keeps: the same page.
func TestHTMLRegeneratedFromGzip(t *testing.T) {
	r := syntheticResult(1000, 10*time.Millisecond, 3)
	Evaluate(r, tiers.Thresholds{MaxErrorRate: 0.01, P99Ms: 100}, false, 0)
	dir := t.TempDir()
	if err := WriteReports(dir, r); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	_, _ = zw.Write(raw)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	kept := t.TempDir()
	if err := os.WriteFile(filepath.Join(kept, "results.json.gz"), z.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(kept); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(kept, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("report.html from results.json.gz differs from the run's (%d vs %d bytes)", len(got), len(want))
	}
	if err := WriteHTML(t.TempDir()); err == nil {
		t.Error("WriteHTML of a directory without results = nil error; want one")
	}
}

func TestMergeAddsUp(t *testing.T) {
	a, b := syntheticResult(1000, 10*time.Millisecond, 0), syntheticResult(1000, 30*time.Millisecond, 10)
	m := Merge(a, b)
	if m.Requests != a.Requests+b.Requests || m.Errors != 10 || m.Processes != 2 {
		t.Errorf("got requests %d errors %d processes %d; want %d 10 2", m.Requests, m.Errors, m.Processes, a.Requests+b.Requests)
	}
	if m.Latency.P50 < 9 || m.Latency.P99 < 29 {
		t.Errorf("got p50 %v p99 %v; want ~10 and ~30", m.Latency.P50, m.Latency.P99)
	}
	if m.Timeseries[1].Users != 20 {
		t.Errorf("got users %d in second 1; want 20 (summed)", m.Timeseries[1].Users)
	}
}

func TestSignMatchesPlatformFormat(t *testing.T) {
	// echo -n "1700000000.{}" | openssl dgst -sha256 -hmac secret
	got := Sign("secret", 1700000000, []byte("{}"))
	want := "t=1700000000,v0=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163"
	if got != want {
		t.Errorf("got %q; want %q", got, want)
	}
}

func TestSessionCookie(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{[]string{"sid=abc; Path=/; HttpOnly"}, "sid=abc"},
		{[]string{"other=1", "sid=x.y; Secure"}, "sid=x.y"},
		{[]string{"sidx=1"}, ""},
		{nil, ""},
	}
	for _, tc := range tests {
		if got := SessionCookie(tc.in); got != tc.want {
			t.Errorf("SessionCookie(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}
