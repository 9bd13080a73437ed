package main

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server/cluster"
)

func TestPprofAddrValidation(t *testing.T) {
	for _, tc := range []struct {
		v  string
		ok bool
	}{{"", true}, {"127.0.0.1:6060", true}, {":6060", true}, {"localhost:0", true}, {"[::1]:6060", true},
		{"6060", false}, {"127.0.0.1", false}, {"127.0.0.1:http", false}, {"127.0.0.1:70000", false}} {
		_, err := loadConfig(map[string]string{"PPROF_ADDR": tc.v})
		if (err == nil) != tc.ok {
			t.Errorf("PPROF_ADDR=%q: got err %v; want ok %v", tc.v, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "PPROF_ADDR") {
			t.Errorf("PPROF_ADDR=%q: error %q does not name the variable", tc.v, err)
		}
	}
}

func TestPprofAddrPerWorker(t *testing.T) {
	for _, tc := range []struct {
		addr   string
		worker *cluster.Worker
		want   string
	}{
		{"", nil, ""},
		{"", &cluster.Worker{Slot: 1}, ""},
		{"127.0.0.1:6060", nil, "127.0.0.1:6060"},
		{"127.0.0.1:6060", &cluster.Worker{Slot: 0}, "127.0.0.1:6060"},
		{"127.0.0.1:6060", &cluster.Worker{Slot: 3}, "127.0.0.1:6063"},
		{"127.0.0.1:0", &cluster.Worker{Slot: 3}, "127.0.0.1:0"},
	} {
		got, err := pprofAddr(&Config{Ops: OpsConfig{PprofAddr: tc.addr}}, tc.worker)
		if err != nil || got != tc.want {
			t.Errorf("pprofAddr(%q, %+v) = %q, %v; want %q", tc.addr, tc.worker, got, err, tc.want)
		}
	}
}

// startPprof serves the profiles on their own listener, and not at all
// without PPROF_ADDR.
func TestStartPprof(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	startPprof(&Config{}, log, nil)() // off: nothing to stop

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	stop := startPprof(&Config{Ops: OpsConfig{PprofAddr: addr}}, log, nil)
	client := &http.Client{Timeout: 5 * time.Second}
	var resp *http.Response
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err = client.Get("http://" + addr + "/debug/pprof/cmdline"); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("GET /debug/pprof/cmdline: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(body) == 0 {
		t.Errorf("GET /debug/pprof/cmdline = %d %q; want 200 with the command line", resp.StatusCode, body)
	}
	if resp, err := client.Get("http://" + addr + "/debug/pprof/goroutine?debug=1"); err != nil || resp.StatusCode != 200 {
		t.Errorf("GET /debug/pprof/goroutine = %v, %v; want 200", resp, err)
	} else {
		resp.Body.Close()
	}
	stop()
	if _, err := client.Get("http://" + addr + "/debug/pprof/cmdline"); err == nil {
		t.Error("pprof still answers after stop")
	}
}
