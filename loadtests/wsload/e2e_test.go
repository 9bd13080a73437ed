package wsload

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/testbin"
)

// binPath is the echosenseix binary built by TestMain.
var binPath string

func TestMain(m *testing.M) {
	if IsChild() { // the coordinator re-executes this test binary
		os.Exit(ChildMain())
	}
	var err error
	if binPath, err = testbin.Server.Build(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	testbin.Server.Remove()
	os.Exit(code)
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startServer runs one echosenseix process (memory providers and bus) with
// a dedicated realtime port and an in-memory seed; it answers the ports,
// the seed and the pid.
func startServer(t *testing.T) (port, rtPort int, seed *Seed, pid int) {
	t.Helper()
	port, rtPort = freePort(t), freePort(t)
	seedPath := filepath.Join(t.TempDir(), "seed.json")
	cmd := exec.Command(binPath, "serve", "--seed-orgs", "3", "--seed-users", "2", "--seed-agents", "1", "--seed-out", seedPath)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir(),
		"PORT=" + strconv.Itoa(port), "HOST=127.0.0.1", "REALTIME_PORT=" + strconv.Itoa(rtPort),
		"REALTIME_NETPOLL_BUFFER=1024", "CLUSTER_ENABLED=false", "LOG_LEVEL=warn"}
	if err := cmd.Start(); err != nil {
		t.Fatalf("cannot start echosenseix: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("echosenseix not ready within 20 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	s, err := ReadSeed(seedPath)
	if err != nil {
		t.Fatal(err)
	}
	return port, rtPort, s, cmd.Process.Pid
}

func self(t *testing.T) string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// TestEndToEndWS: 200 sockets from two processes over two source
// addresses, about 3 events to the 100 sockets of the first organization;
// every goal but memory (meaningless at 200 sockets) must hold.
func TestEndToEndWS(t *testing.T) {
	port, rtPort, seed, pid := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := Run(ctx, Config{Mode: ModeWS, Conns: 200, Procs: 2, Addrs: DefaultAddrs[:2],
		Target: "127.0.0.1:" + strconv.Itoa(rtPort), BaseURL: "http://127.0.0.1:" + strconv.Itoa(port), Seed: seed,
		BigOrgConns: 100, ConnsPerUser: 60, Rate: 1000, Settle: -1, Hold: 3 * time.Second, Grace: time.Second, EventsPerSec: 1,
		ServerPID: pid, Exe: self(t), RampTimeout: 20 * time.Second})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, g := range r.Goals {
		if !g.OK && g.Name != "server memory per connection" {
			t.Errorf("goal %q: got %s; want %s", g.Name, g.Got, g.Want)
		}
	}
	if r.WebhooksOK < 2 || r.EventsReceived != uint64(r.WebhooksOK)*100 || r.Latency.Count != r.EventsReceived {
		t.Errorf("events: %d webhooks, %d received, %d timed; want 100 per webhook, all timed", r.WebhooksOK, r.EventsReceived, r.Latency.Count)
	}
	if r.Users != 2+1+1 || r.Generator.Procs != 2 {
		t.Errorf("users %d, procs %d; want 4 tokens (2 for 100 sockets at 60 each, 1 per other org) and 2 processes", r.Users, r.Generator.Procs)
	}
	if len(r.Server.Workers) != 1 || r.Server.Workers[0].RSSHoldKB <= 0 || r.Server.Workers[0].FDsHold < 200 {
		t.Errorf("server memory %+v; want one process holding >= 200 descriptors", r.Server)
	}
	if r.Generator.CPUSeconds <= 0 || len(r.Timeline) < 2 {
		t.Errorf("generator %+v, timeline %d points; want CPU time and a timeline", r.Generator, len(r.Timeline))
	}
}

// TestEndToEndHTTP: 100 keep-alive connections, a request each every 500 ms.
func TestEndToEndHTTP(t *testing.T) {
	port, _, _, pid := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := Run(ctx, Config{Mode: ModeHTTP, Conns: 100, Procs: 2, Addrs: DefaultAddrs[:2],
		Target: "127.0.0.1:" + strconv.Itoa(port), Rate: 1000, Settle: -1, Hold: 2 * time.Second, HTTPEvery: 500 * time.Millisecond,
		ServerPID: pid, Exe: self(t), RampTimeout: 20 * time.Second})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !r.Pass {
		t.Errorf("http run failed: %+v", r.Goals)
	}
	if r.Requests < 300 {
		t.Errorf("requests: got %d; want >= 300 (100 connections, 2 s, every 500 ms)", r.Requests)
	}
}
