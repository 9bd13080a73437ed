package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/echosenseix/echosenseix/bench/internal/report"
)

// results is results.json.
type results struct {
	Env          map[string]string    `json:"env"`
	Quick        bool                 `json:"quick"`
	Rounds       int                  `json:"rounds"`
	Duration     string               `json:"runDuration"`
	Measurements []report.Measurement `json:"measurements"`
	Rows         []report.Row         `json:"rows"`
	Notes        []string             `json:"notes"`
	Regressions  []report.Regression  `json:"regressions"`
	Baseline     string               `json:"baseline,omitempty"`
	Profiles     []cpuProfile         `json:"profiles,omitempty"` // server CPU profiles (profile.go)
}

// macroMeasurements turns the scenarios' runs into Measurements and
// benchstat lines (one per run).
func macroMeasurements(groups [][]*scenario) ([]report.Measurement, []report.BenchLine) {
	var ms []report.Measurement
	var lines []report.BenchLine
	for _, g := range groups {
		for _, s := range g {
			if len(s.samples) == 0 {
				continue
			}
			m := report.Measurement{Name: s.name(), Kind: "macro", Unit: s.unit, Driver: s.driver.Name(), Extra: map[string][]float64{}}
			var errs, non2xx int64
			for _, r := range s.samples {
				ok := r.res.Requests - r.res.Non2xx
				perReq := func(d time.Duration) float64 {
					if r.res.Requests == 0 {
						return 0
					}
					return d.Seconds() / float64(r.res.Requests)
				}
				vals := []report.Value{
					{V: okPerSec(r.res) / s.perOp, Unit: s.unit},
					{V: r.res.P50.Seconds(), Unit: "p50-sec"},
					{V: r.res.P99.Seconds(), Unit: "p99-sec"},
					{V: perReq(r.serverCPU), Unit: "server-cpu-sec/op"},
					{V: perReq(r.res.GenCPU), Unit: "gen-cpu-sec/op"},
					{V: cores(r.serverCPU, r.res.Elapsed), Unit: "server-cores"},
					{V: cores(r.res.GenCPU, r.res.Elapsed), Unit: "gen-cores"},
					{V: cores(r.svcCPU, r.res.Elapsed), Unit: "db-cores"},
					{V: cores(r.otherCPU, r.res.Elapsed), Unit: "other-cores"},
				}
				m.Samples = append(m.Samples, vals[0].V)
				for _, v := range vals[1:] {
					m.Extra[v.Unit] = append(m.Extra[v.Unit], v.V)
				}
				errs += r.res.Errors
				non2xx += r.res.Non2xx
				lines = append(lines, report.BenchLine{Name: s.name(), Iters: ok, Values: vals})
			}
			if errs+non2xx > 0 {
				m.Note = fmt.Sprintf("%d socket errors, %d non-2xx answers over %d runs (not counted as throughput)", errs, non2xx, len(s.samples))
			}
			ms = append(ms, m)
		}
	}
	return ms, lines
}

// ratioLines are the per-round ratios of paired macro rows, so benchstat
// (and the baseline comparison) see the figures that survive a noisy
// machine.
func ratioLines(ms []report.Measurement, rows []macroRow) []report.BenchLine {
	by := map[string]report.Measurement{}
	for _, m := range ms {
		by[m.Key()] = m
	}
	var out []report.BenchLine
	for _, r := range rows {
		o, p := by[r.spec.Ours], by[r.spec.Peer]
		if len(o.Samples) == 0 || len(o.Samples) != len(p.Samples) {
			continue
		}
		for i := range o.Samples {
			if p.Samples[i] > 0 {
				out = append(out, report.BenchLine{Name: "Ratio/" + r.id, Iters: 1,
					Values: []report.Value{{V: o.Samples[i] / p.Samples[i], Unit: "ratio"}}})
			}
		}
	}
	return out
}

func ceilingLines(ms []report.Measurement) []report.BenchLine {
	var out []report.BenchLine
	for _, m := range ms {
		if m.Kind != "ceiling" && m.Kind != "derived" {
			continue
		}
		for _, v := range m.Samples {
			out = append(out, report.BenchLine{Name: m.Name, Iters: 1, Values: []report.Value{{V: v, Unit: m.Unit}}})
		}
	}
	return out
}

// cpuNotes say how much CPU the server and the generator used per macro
// measurement, and warn where the generator may be the bottleneck.
func cpuNotes(ms []report.Measurement) []string {
	var out []string
	ncpu := float64(runtime.NumCPU())
	for _, m := range ms {
		if m.Kind != "macro" {
			continue
		}
		s, g := report.Summarize(m.Extra["server-cores"]).Median, report.Summarize(m.Extra["gen-cores"]).Median
		o := report.Summarize(m.Extra["other-cores"]).Median
		db := report.Summarize(m.Extra["db-cores"]).Median
		line := fmt.Sprintf("%s: cores used of %d: server %.2f, generator %.2f (%s), postgres+redis %.2f, other processes %.2f",
			m.Name, int(ncpu), s, g, m.Driver, db, o)
		switch {
		case o > 0.25*ncpu:
			line += " — other processes took a share of the CPUs: a noisy sitting, trust the interleaved ratios over absolute figures"
		case g > s:
			line += " — the generator used more CPU than the server: this figure may be generator-bound"
		case s+g+db+o < 0.8*ncpu:
			line += " — the CPUs were not saturated: the server waits on something (locks, I/O, the database)"
		}
		out = append(out, line)
		if m.Note != "" {
			out = append(out, m.Name+": "+m.Note)
		}
	}
	return out
}

// writeOutputs writes table.md, ratios.html, results.json, macro.txt and
// bench.txt (micro + macro: the benchstat input) into dir.
func writeOutputs(dir string, res results, macroLines []report.BenchLine, microRaw []byte) error {
	var macro bytes.Buffer
	cfgLines := map[string]string{"pkg": "macro", "cpu": res.Env["cpu"], "goos": res.Env["goos"], "goarch": res.Env["goarch"]}
	if err := report.WriteBenchfmt(&macro, cfgLines, macroLines); err != nil {
		return err
	}
	files := map[string][]byte{
		"macro.txt": macro.Bytes(),
		"bench.txt": append(append(bytes.Clone(microRaw), '\n'), macro.Bytes()...),
	}
	var md bytes.Buffer
	writeMarkdown(&md, res)
	files["table.md"] = md.Bytes()
	var html bytes.Buffer
	if err := report.HTML(&html, "EchoSenseiX make bench "+res.Env["date"], res.Env, res.Rows, res.Notes); err != nil {
		return err
	}
	files["ratios.html"] = html.Bytes()
	js, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("cannot encode results.json: %w", err)
	}
	files["results.json"] = js
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return fmt.Errorf("cannot write %s: %w", name, err)
		}
	}
	return nil
}

func writeMarkdown(w io.Writer, res results) {
	fmt.Fprintf(w, "# make bench, %s\n\n", res.Env["date"])
	mode := "full"
	if res.Quick {
		mode = "quick (BENCH_QUICK=1: smoke run, figures not comparable)"
	}
	fmt.Fprintf(w, "%d CPUs (%s), kernel %s, %s, hertz %s; nginx: %s; redis: %s; postgres: %s; load: %s. Mode: %s, %d rounds × %s per HTTP figure, interleaved.\n\n",
		atoi(res.Env["cpus"]), res.Env["cpu"], res.Env["kernel"], res.Env["go"], res.Env["hertz"], res.Env["nginx"],
		res.Env["redis-server"], res.Env["postgres"], res.Env["wrk"], mode, res.Rounds, res.Duration)
	report.Markdown(w, res.Rows)
	passed, failed := 0, 0
	for _, r := range res.Rows {
		switch r.Verdict {
		case "pass":
			passed++
		case "FAIL":
			failed++
		}
	}
	fmt.Fprintf(w, "\nGoals: %d pass, %d fail.\n", passed, failed)
	if res.Baseline != "" {
		fmt.Fprintf(w, "\nCompared with %s: ", res.Baseline)
		if len(res.Regressions) == 0 {
			fmt.Fprintln(w, "no regression beyond noise.")
		} else {
			fmt.Fprintf(w, "%d regressions beyond noise:\n\n", len(res.Regressions))
			for _, r := range res.Regressions {
				fmt.Fprintf(w, "- REGRESSION %s\n", r)
			}
		}
	}
	writeProfiles(w, res.Profiles)
	if len(res.Notes) > 0 {
		fmt.Fprintln(w, "\nNotes:")
		notes := append([]string(nil), res.Notes...)
		sort.SliceStable(notes, func(i, j int) bool {
			return strings.HasPrefix(notes[i], "unavailable") && !strings.HasPrefix(notes[j], "unavailable")
		})
		for _, n := range notes {
			fmt.Fprintf(w, "- %s\n", n)
		}
	}
}

func atoi(s string) int {
	var n int
	fmt.Sscan(s, &n)
	return n
}

// finite drops infinities and NaNs from JSON-bound samples.
func finite(ms []report.Measurement) {
	for i := range ms {
		for j, v := range ms[i].Samples {
			if math.IsInf(v, 0) || math.IsNaN(v) {
				ms[i].Samples[j] = 0
			}
		}
	}
}
