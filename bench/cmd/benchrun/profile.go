package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ProfileSeconds is the length of each server CPU profile.
const ProfileSeconds = 5

// profileTop is how many entries of `go tool pprof -top` the report keeps.
const profileTop = 25

// cpuProfile is one server CPU profile taken under load: where the CPU per
// request goes.
type cpuProfile struct {
	Scenario string `json:"scenario"`
	File     string `json:"file"`              // in the results folder
	Summary  string `json:"summary,omitempty"` // shares of the CPU: system calls, our handlers, GC
	Top      string `json:"top,omitempty"`     // go tool pprof -top (flat), first entries
	Err      string `json:"error,omitempty"`
}

// profiled reports whether s gets a CPU profile, when its server serves
// pprof: our /health/live, cached agent read, and webhook ingestion with
// group commit at the largest connection count.
func profiled(s *scenario, bigConns int) bool {
	if s.proc == nil || s.proc.Pprof == "" {
		return false
	}
	return s.srv == "ours" && (s.ep == "health-live" || s.ep == "agent") ||
		s.srv == "batch-on" && s.ep == "webhook" && s.conns == bigConns
}

// profileAll runs each profiled scenario once more, outside the measured
// rounds (the profiler's own cost never lands in a figure), and fetches a
// ProfileSeconds CPU profile of the server while the load runs. Profiles
// are saved in dir as <ep>-<srv>-c<conns>.pprof (the batch-on server of
// the webhooks is our main server).
func (m *macro) profileAll(ctx context.Context, dir string) []cpuProfile {
	var out []cpuProfile
	for _, g := range m.groups {
		for _, s := range g {
			if !profiled(s, m.cfg.BigConns) || ctx.Err() != nil {
				continue
			}
			m.p.Status("profiling %s (%ds CPU profile)", s.name(), ProfileSeconds)
			out = append(out, m.profile(ctx, s, dir))
		}
	}
	return out
}

func (m *macro) profile(ctx context.Context, s *scenario, dir string) cpuProfile {
	name := fmt.Sprintf("%s-%s-c%d.pprof", s.ep, s.srv, s.conns)
	p := cpuProfile{Scenario: s.name(), File: name}
	got := make(chan error, 1)
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		// The load runs a little longer than the profile on both sides.
		t := s.target
		t.Duration = time.Duration(ProfileSeconds+2) * time.Second
		_, err := s.driver.Run(lctx, t)
		got <- err
	}()
	select { // let the load reach its steady state
	case <-time.After(500 * time.Millisecond):
	case <-ctx.Done():
	}
	err := fetchProfile(ctx, s.proc.Pprof, ProfileSeconds, filepath.Join(dir, name))
	if lerr := <-got; err == nil && lerr != nil {
		err = fmt.Errorf("load during the profile: %w", lerr)
	}
	if err != nil {
		p.Err = err.Error()
		m.note("%s profile: %v", s.name(), err)
		return p
	}
	top, err := pprofTop(ctx, m.cfg.Root, filepath.Join(dir, name), profileTop)
	if err != nil {
		p.Err = err.Error()
		return p
	}
	p.Top = top
	if cum, err := pprofRun(ctx, m.cfg.Root, "-top", "-cum", "-nodecount=2000", filepath.Join(dir, name)); err == nil {
		p.Summary = profileSummary(cum)
	}
	return p
}

// profileShares are the cumulative entries the summary reports: where the
// CPU per request goes.
var profileShares = []struct{ label, fn string }{
	{"system calls (socket reads, writes, epoll)", "syscall.RawSyscall6"},
	{"hertz + netpoll request loop", "github.com/cloudwego/hertz/pkg/protocol/http1.Server.Serve"},
	{"our route chain (metrics, recovery, body limit, session, handler)", "github.com/echosenseix/echosenseix/server/httpapi.(*Server).handle.(*Server).wrap.func1"},
	{"group-commit flushes", "github.com/echosenseix/echosenseix/server/internal/groupcommit.(*Batcher).flush"},
	{"GC", "runtime.gcBgMarkWorker"},
}

// profileSummary reads `go tool pprof -top -cum` output and names the
// cumulative share of each profileShares entry present.
func profileSummary(cum string) string {
	var parts []string
	for _, s := range profileShares {
		for _, l := range strings.Split(cum, "\n") {
			f := strings.Fields(l)
			if len(f) >= 6 && strings.Join(f[5:], " ") == s.fn {
				parts = append(parts, s.label+" "+f[4])
				break
			}
		}
	}
	return strings.Join(parts, "; ")
}

// fetchProfile saves /debug/pprof/profile?seconds=secs of the pprof
// listener at addr into path.
func fetchProfile(ctx context.Context, addr string, secs int, path string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(secs+15)*time.Second)
	defer cancel()
	url := "http://" + addr + "/debug/pprof/profile?seconds=" + strconv.Itoa(secs)
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return fmt.Errorf("cannot fetch the CPU profile: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("cannot fetch the CPU profile: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("cannot fetch the CPU profile: %w", err)
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("cannot fetch the CPU profile: status %d: %s", resp.StatusCode, strings.TrimSpace(string(b)))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("cannot save the CPU profile: %w", err)
	}
	return nil
}

// pprofTop answers the header and first n entries of `go tool pprof -top`
// (flat CPU) of the profile at path.
func pprofTop(ctx context.Context, root, path string, n int) (string, error) {
	out, err := pprofRun(ctx, root, "-top", "-nodecount="+strconv.Itoa(n), path)
	if err != nil {
		return "", err
	}
	return trimPprofTop(out), nil
}

// pprofRun runs go tool pprof with args in root and answers its output.
func pprofRun(ctx context.Context, root string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", append([]string{"tool", "pprof"}, args...)...)
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("cannot run go tool pprof: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// trimPprofTop drops pprof's File/Build ID/Time lines, keeping the sample
// totals and the table.
func trimPprofTop(s string) string {
	var keep []string
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if strings.HasPrefix(l, "File:") || strings.HasPrefix(l, "Build ID:") || strings.HasPrefix(l, "Time:") ||
			strings.HasPrefix(l, "Dropped ") {
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "\n")
}

// writeProfiles renders the profiles as a Markdown section.
func writeProfiles(w io.Writer, ps []cpuProfile) {
	if len(ps) == 0 {
		return
	}
	fmt.Fprintf(w, "\nServer CPU profiles (%d s under the same load, outside the measured rounds; `go tool pprof -top`):\n", ProfileSeconds)
	for _, p := range ps {
		if p.Err != "" {
			fmt.Fprintf(w, "\n%s: no profile (%s)\n", p.Scenario, p.Err)
			continue
		}
		fmt.Fprintf(w, "\n%s (%s):\n", p.Scenario, p.File)
		if p.Summary != "" {
			fmt.Fprintf(w, "\nCPU (cumulative shares; they nest: the request loop holds most system calls and our route chain): %s.\n", p.Summary)
		}
		fmt.Fprintf(w, "\n```\n%s\n```\n", p.Top)
	}
}
