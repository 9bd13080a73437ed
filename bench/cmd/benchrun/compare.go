package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/echosenseix/echosenseix/bench/internal/report"
)

// benchInput is the benchstat input of a result folder: bench.txt, or
// micro.txt + macro.txt when a folder lacks it.
func benchInput(dir string) ([]byte, error) {
	if b, err := os.ReadFile(filepath.Join(dir, "bench.txt")); err == nil {
		return b, nil
	}
	var all []byte
	for _, f := range []string{"micro.txt", "macro.txt"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err == nil {
			all = append(append(all, b...), '\n')
		}
	}
	if all == nil {
		return nil, fmt.Errorf("cannot compare: %s has no bench.txt, micro.txt or macro.txt", dir)
	}
	return all, nil
}

// regressions compares two result folders' figures (report.Compare).
func regressions(oldDir, newDir string, threshold float64) ([]report.Regression, error) {
	var samples [2]map[string]map[string][]float64
	for i, d := range []string{oldDir, newDir} {
		b, err := benchInput(d)
		if err != nil {
			return nil, err
		}
		if samples[i], err = report.ReadSamples(bytes.NewReader(b), filepath.Join(d, "bench.txt")); err != nil {
			return nil, err
		}
	}
	return report.Compare(samples[0], samples[1], threshold, 0.05), nil
}

// benchstat runs `go tool benchstat old=OLD new=NEW` (the tool directive
// of go.mod; golang.org/x/perf) from root and answers its output.
func benchstat(root, oldDir, newDir string) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "benchstat-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	var args []string
	for _, side := range []struct{ label, dir string }{{"old", oldDir}, {"new", newDir}} {
		b, err := benchInput(side.dir)
		if err != nil {
			return nil, err
		}
		f := filepath.Join(tmp, side.label)
		if err := os.WriteFile(f, b, 0o644); err != nil {
			return nil, err
		}
		args = append(args, side.label+"="+f)
	}
	cmd := exec.Command("go", append([]string{"tool", "benchstat"}, args...)...)
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("benchstat: %w", err)
	}
	return out.Bytes(), nil
}

// compareCmd is `benchrun compare OLD NEW`: benchstat's table, then the
// regressions beyond noise; exit 1 when there is one.
func compareCmd(args []string) int {
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: benchrun compare OLD_DIR NEW_DIR")
		return 2
	}
	cfg, err := configFromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		return 2
	}
	out, err := benchstat(cfg.Root, args[0], args[1])
	os.Stdout.Write(out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
	}
	regs, err := regressions(args[0], args[1], cfg.Threshold)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		return 2
	}
	if len(regs) == 0 {
		fmt.Printf("\nno regression beyond noise (p < 0.05 and worse than %.0f%%; req/s is not compared, ratios are)\n", cfg.Threshold*100)
		return 0
	}
	fmt.Printf("\n%d regressions beyond noise (p < 0.05 and worse than %.0f%%):\n", len(regs), cfg.Threshold*100)
	for _, r := range regs {
		fmt.Println("  REGRESSION", r)
	}
	return 1
}
