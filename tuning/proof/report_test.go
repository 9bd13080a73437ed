package proof

import (
	"compress/gzip"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sampleReport() *Report {
	b := func(profile string, errs, ovf int64, p99 float64) BurstResult {
		return BurstResult{Profile: profile, Attempts: 100, Connected: 100 - errs, Errors: errs, ListenOverflows: ovf, P99Ms: p99,
			Sysctls: map[string]string{"net.core.somaxconn": map[string]string{Defaults: "4096", Tuned: "65535"}[profile]}}
	}
	return &Report{Start: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC), Tier: "10k",
		Kernel: KernelResult{Config: BurstConfig{Conns: 100, Procs: 2, Spread: time.Second, Busy: time.Second, DialTimeout: 3 * time.Second},
			Applied: "the fallback list", Bursts: []BurstResult{b(Defaults, 10, 500, 2000), b(Tuned, 0, 0, 5), b(Defaults, 12, 600, 2100), b(Tuned, 0, 0, 6)}},
		Postgres: PostgresResult{Source: "PGTune", Conf: map[string]string{"shared_buffers": "6GB"},
			Shown: map[string]string{"shared_buffers": "6GB"}, Defaults: map[string]string{"shared_buffers": "128MB"},
			Runs: []PGRun{{Defaults, "ingest", 1000}, {Defaults, "select", 100}, {Tuned, "ingest", 1010}, {Tuned, "select", 200},
				{Defaults, "ingest", 1020}, {Defaults, "select", 110}, {Tuned, "ingest", 1005}, {Tuned, "select", 210}}},
	}
}

func TestWrite(t *testing.T) {
	dir, err := Write(t.TempDir(), sampleReport())
	if err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| connect p99 ms | 2050.00 (2000.00-2100.00) | 5.50 (5.00-6.00) | 372.73x | yes |",
		"| TcpExtListenOverflows | 550.00 (500.00-600.00) | 0.00 (0.00-0.00) | — (tuned 0) | yes |",
		"| ingestion rows/s | 1000, 1020 | 1010, 1005 | 1.00x | no: the rounds overlap or differ by under 5 % |",
		"| pgbench select-only tps | 100, 110 | 200, 210 | 1.95x | yes |",
		"| net.core.somaxconn | 4096 | 65535 **(changed)** |",
		"| shared_buffers | 128MB | 6GB **(changed)** |",
		"**bin/tune was not available**",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q:\n%s", want, md)
		}
	}
	f, err := os.Open(filepath.Join(dir, "proof.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil || img.Bounds().Dx() < 600 {
		t.Errorf("proof.png: %v, bounds %v; want a PNG at least 600 px wide", err, img)
	}
	gz, err := os.Open(filepath.Join(dir, "results.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer gz.Close()
	zr, err := gzip.NewReader(gz)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.NewDecoder(zr).Decode(&back); err != nil || len(back.Kernel.Bursts) != 4 || len(back.Postgres.Runs) != 8 {
		t.Errorf("results.json.gz: %v, %d bursts, %d runs; want 4 and 8", err, len(back.Kernel.Bursts), len(back.Postgres.Runs))
	}
}

func TestRender(t *testing.T) {
	dir, err := Write(t.TempDir(), sampleReport())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "report.md")); err != nil {
		t.Fatal(err)
	}
	if err := Render(dir); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil || !strings.Contains(string(md), "| pgbench select-only tps | 100, 110 | 200, 210 | 1.95x | yes |") {
		t.Errorf("rendered report.md (%v) lacks the select row:\n%s", err, md)
	}
	if !strings.Contains(string(md), "0 in every burst") {
		t.Errorf("rendered report.md does not say the softnet drops were 0:\n%s", md)
	}
	if err := Render(t.TempDir()); err == nil {
		t.Error("Render(dir without results) = nil; want an error")
	}
}

func TestOneRoundIsUnknown(t *testing.T) {
	if got := verdictText(statOf([]float64{1}), statOf([]float64{100})); !strings.HasPrefix(got, "unknown") {
		t.Errorf("verdict of one round = %q; want unknown", got)
	}
}
