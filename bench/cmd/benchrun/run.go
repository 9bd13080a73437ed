package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/echosenseix/echosenseix/bench/internal/report"
	"github.com/echosenseix/echosenseix/internal/stack"
)

// run is the whole `make bench`; it answers the exit code.
func run(ctx context.Context, cfg config, stdout, stderr io.Writer) int {
	p := newProgress(stderr)
	dir := filepath.Join(cfg.OutRoot, cfg.Timestamp)
	logs := filepath.Join(dir, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		fmt.Fprintln(stderr, "benchrun:", err)
		return 1
	}
	began := time.Now()
	p.Log("make bench: results in %s", dir)
	env := environment(ctx, cfg.Root)
	svc := getServices(ctx)
	defer stack.StopAll()
	env["postgres"] = orDefault(svc.PGServer, "unavailable")
	var notes []string
	if line := svc.missing(toolsMissing()); line != "" {
		p.Log("%s", line)
		notes = append(notes, line)
	}

	var ms []report.Measurement
	var microRaw bytes.Buffer
	if cfg.Stages["micro"] {
		ms = append(ms, microStage(ctx, cfg, svc, dir, &microRaw, p, &notes)...)
	}
	if cfg.Stages["ceilings"] && ctx.Err() == nil {
		cms, cnotes := ceilings(ctx, cfg, svc, logs, p)
		ms = append(ms, cms...)
		notes = append(notes, cnotes...)
	}
	var macroLines []report.BenchLine
	var profiles []cpuProfile
	mrows := macroRows(cfg.Conns, cfg.BigConns)
	rounds := cfg.Rounds
	if cfg.Stages["macro"] && ctx.Err() == nil {
		m := &macro{cfg: cfg, svc: svc, dir: logs, p: p}
		m.setup(ctx)
		m.fitBudget(time.Until(began.Add(cfg.Budget)))
		m.runAll(ctx)
		profiles = m.profileAll(ctx, dir)
		m.close()
		rounds = m.cfg.Rounds
		mms, lines := macroMeasurements(m.groups)
		ms = append(ms, mms...)
		notes = append(notes, m.notes...)
		macroLines = append(lines, ratioLines(mms, mrows)...)
	}
	ms = append(ms, derived(ms)...)
	macroLines = append(macroLines, ceilingLines(ms)...)
	finite(ms)

	var specs []report.RowSpec
	for _, r := range mrows {
		specs = append(specs, r.spec)
	}
	specs = append(specs, ceilingRows()...)
	specs = append(specs, explicitMicroRows()...)
	specs = append(specs, report.MicroSpecs(ms, pairRules, goalRules)...)
	res := results{Env: env, Quick: cfg.Quick, Rounds: rounds, Duration: cfg.Duration.String(),
		Measurements: ms, Rows: report.BuildRows(ms, specs), Notes: append(notes, cpuNotes(ms)...), Profiles: profiles}
	p.Done()
	if err := writeOutputs(dir, res, macroLines, microRaw.Bytes()); err != nil {
		fmt.Fprintln(stderr, "benchrun:", err)
		return 1
	}
	if _, err := benchInput(cfg.Baseline); err == nil {
		res.Baseline = cfg.Baseline
		regs, err := regressions(cfg.Baseline, dir, cfg.Threshold)
		if err != nil {
			res.Notes = append(res.Notes, "baseline comparison failed: "+err.Error())
		}
		res.Regressions = regs
		if out, err := benchstat(cfg.Root, cfg.Baseline, dir); err == nil {
			_ = os.WriteFile(filepath.Join(dir, "compare.txt"), out, 0o644)
		}
		if err := writeOutputs(dir, res, macroLines, microRaw.Bytes()); err != nil {
			fmt.Fprintln(stderr, "benchrun:", err)
			return 1
		}
	}
	writeMarkdown(stdout, res)
	fmt.Fprintf(stdout, "\nSaved in %s (table.md, ratios.html, results.json, bench.txt for benchstat) after %v.\n",
		dir, time.Since(began).Round(time.Second))
	if ctx.Err() != nil {
		return 130
	}
	if len(res.Regressions) > 0 && os.Getenv("BENCH_FAIL_ON_REGRESSION") == "1" {
		return 3
	}
	return 0
}

// microStage discovers and runs the micro benchmarks, keeping their raw
// output in raw and micro.txt.
func microStage(ctx context.Context, cfg config, svc services, dir string, raw *bytes.Buffer, p *progress, notes *[]string) []report.Measurement {
	p.Status("micro: listing packages with benchmarks")
	pkgs, err := benchPackages(ctx, cfg.Root, cfg.Pkgs)
	if err != nil {
		*notes = append(*notes, err.Error())
		return nil
	}
	f, err := os.Create(filepath.Join(dir, "micro.txt"))
	if err != nil {
		*notes = append(*notes, err.Error())
		return nil
	}
	defer f.Close()
	p.Log("micro: %d packages, -count %d -benchtime %s -skip %q", len(pkgs), cfg.Count, cfg.Benchtime, cfg.Skip)
	mctx, cancel := context.WithTimeout(ctx, cfg.MicroMax)
	defer cancel()
	failed, err := runMicro(mctx, cfg, svc, pkgs, io.MultiWriter(f, raw), p)
	if mctx.Err() == context.DeadlineExceeded {
		*notes = append(*notes, fmt.Sprintf("micro: stopped at BENCH_MICRO_MAX=%v; the packages after the last one in micro.txt did not run", cfg.MicroMax))
	}
	if err != nil {
		*notes = append(*notes, "micro: "+err.Error())
		p.Log("micro: %v", err)
	}
	for _, f := range failed {
		*notes = append(*notes, "micro: FAIL "+f)
	}
	return report.ParseGoBench(bytes.NewReader(raw.Bytes()))
}
