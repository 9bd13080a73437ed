package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

var benchFunc = regexp.MustCompile(`(?m)^func Benchmark\w*\(b \*testing\.B\)`)

// benchPackages lists the module's packages with a func Benchmark in a test
// file, filtered by re (nil = all).
func benchPackages(ctx context.Context, root string, re *regexp.Regexp) ([]string, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-f", `{{.ImportPath}}|{{.Dir}}|{{join .TestGoFiles ","}},{{join .XTestGoFiles ","}}`, "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("cannot list packages: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var pkgs []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.SplitN(line, "|", 3)
		if len(f) != 3 || (re != nil && !re.MatchString(f[0])) {
			continue
		}
		for _, name := range strings.Split(f[2], ",") {
			if name == "" {
				continue
			}
			b, err := os.ReadFile(filepath.Join(f[1], name))
			if err == nil && benchFunc.Match(b) {
				pkgs = append(pkgs, f[0])
				break
			}
		}
	}
	return pkgs, nil
}

// runMicro runs `go test -bench` over pkgs one package at a time (-p 1, so
// benchmarks never share the CPUs), teeing the raw output to w.
func runMicro(ctx context.Context, cfg config, svc services, pkgs []string, w io.Writer, p *progress) (failed []string, err error) {
	args := []string{"test", "-p", "1", "-vet=off", "-run", "^$", "-bench", ".", "-benchmem",
		"-count", fmt.Sprint(cfg.Count), "-benchtime", cfg.Benchtime, "-timeout", "10m"}
	if cfg.Skip != "" {
		args = append(args, "-skip", cfg.Skip)
	}
	cmd := exec.CommandContext(ctx, "go", append(args, pkgs...)...)
	cmd.Dir = cfg.Root
	cmd.Env = append(svc.childEnv(os.Environ()), fmt.Sprintf("ECHOSENSEIX_BENCH_ROWS=%d", cfg.Rows))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("cannot run go test: %w", err)
	}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	done, pkg := 0, ""
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(w, line)
		switch {
		case strings.HasPrefix(line, "pkg: "):
			pkg = strings.TrimPrefix(line, "pkg: ")
		case strings.HasPrefix(line, "ok ") || strings.HasPrefix(line, "FAIL") || strings.HasPrefix(line, "--- FAIL") ||
			strings.HasPrefix(line, "?"):
			if strings.HasPrefix(line, "ok ") || strings.HasPrefix(line, "FAIL\t") {
				done++
			}
			if !strings.HasPrefix(line, "ok ") {
				p.Log("micro: %s", line)
			}
			if strings.HasPrefix(line, "FAIL\t") || strings.HasPrefix(line, "--- FAIL") {
				failed = append(failed, strings.TrimSpace(strings.TrimPrefix(line, "FAIL\t")))
			}
		case strings.Contains(line, "SKIP") || strings.Contains(line, "skipping"):
			p.Log("micro: %s", strings.TrimSpace(line))
		case strings.HasPrefix(line, "Benchmark"):
			name, _, _ := strings.Cut(line, "\t")
			p.Status("micro %d/%d %s %s", done+1, len(pkgs), shortPkg(pkg), strings.TrimSpace(name))
		}
	}
	if err := cmd.Wait(); err != nil {
		return failed, fmt.Errorf("go test -bench: %w (see micro.txt)", err)
	}
	return failed, nil
}

func shortPkg(pkg string) string {
	return strings.TrimPrefix(pkg, "github.com/echosenseix/echosenseix/")
}
