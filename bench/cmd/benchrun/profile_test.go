package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTrimPprofTop(t *testing.T) {
	in := "File: echosenseix\nBuild ID: abc\nType: cpu\nTime: 2026-11-28\nDuration: 5s, Total samples = 2s (40%)\n" +
		"Dropped 63 nodes (cum <= 0.01s)\n      flat  flat%\n     1.22s 57.28%  syscall\n"
	got := trimPprofTop(in)
	want := "Type: cpu\nDuration: 5s, Total samples = 2s (40%)\n      flat  flat%\n     1.22s 57.28%  syscall"
	if got != want {
		t.Errorf("trimPprofTop = %q; want %q", got, want)
	}
}

func TestWriteProfiles(t *testing.T) {
	var b bytes.Buffer
	writeProfiles(&b, []cpuProfile{
		{Scenario: "HTTP/ep=health-live/c=256/srv=ours", File: "health-live-ours-c256.pprof", Top: "  1s 50% syscall", Summary: "GC 1%"},
		{Scenario: "HTTP/ep=agent/c=256/srv=ours", Err: "status 404"},
	})
	for _, want := range []string{"Server CPU profiles", "HTTP/ep=health-live/c=256/srv=ours (health-live-ours-c256.pprof)",
		"CPU (cumulative shares; they nest: the request loop holds most system calls and our route chain): GC 1%.", "```\n  1s 50% syscall\n```", "HTTP/ep=agent/c=256/srv=ours: no profile (status 404)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("writeProfiles output lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	writeProfiles(&b, nil)
	if b.Len() != 0 {
		t.Errorf("writeProfiles(nil) wrote %q; want nothing", b.String())
	}
}

// TestFetchProfile takes a 1 s CPU profile of this process through the
// net/http/pprof handler and reads its top entries with go tool pprof.
func TestFetchProfile(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(pprof.Profile))
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "cpu.pprof")
	if err := fetchProfile(context.Background(), strings.TrimPrefix(srv.URL, "http://"), 1, path); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Fatalf("profile file: %v, %v; want a non-empty file", fi, err)
	}
	root, _ := filepath.Abs("../../..")
	top, err := pprofTop(context.Background(), root, path, 5)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(top, "Type: cpu") || strings.Contains(top, "Build ID:") {
		t.Errorf("pprofTop = %q; want the cpu header without the build id", top)
	}
	if err := fetchProfile(context.Background(), "127.0.0.1:1", 1, path); err == nil {
		t.Error("fetchProfile from a closed port = nil; want an error")
	}
}

func TestProfileSummary(t *testing.T) {
	cum := `Showing top 2000 nodes out of 123
      flat  flat%   sum%        cum   cum%
     0.04s  0.77%  0.77%      4.42s 84.67%  github.com/cloudwego/hertz/pkg/protocol/http1.Server.Serve
     0.02s  0.38%  1.15%      3.18s 60.92%  syscall.RawSyscall6
         0     0% 63.79%      0.39s  7.47%  github.com/echosenseix/echosenseix/server/httpapi.(*Server).handle.(*Server).wrap.func1
         0     0% 86.97%      0.03s  0.57%  runtime.gcBgMarkWorker
`
	got := profileSummary(cum)
	want := "system calls (socket reads, writes, epoll) 60.92%; hertz + netpoll request loop 84.67%; " +
		"our route chain (metrics, recovery, body limit, session, handler) 7.47%; GC 0.57%"
	if got != want {
		t.Errorf("profileSummary = %q; want %q", got, want)
	}
	if got := profileSummary("no table"); got != "" {
		t.Errorf("profileSummary(no table) = %q; want empty", got)
	}
}
