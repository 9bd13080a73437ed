package realtime

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/wsclient"
	"github.com/echosenseix/echosenseix/server"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// BenchmarkFanout publishes one event to an organization of 1,000 loopback
// connections and waits until every client has read it: ns/op is the full
// fan-out of one event (server encode, ring, scheduling, 1,000 writes, and
// the clients' reads on the same cores).
func BenchmarkFanout(b *testing.B) {
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) { benchmarkFanout(b, m.new) })
	}
}

func benchmarkFanout(b *testing.B, newServer serverFunc) {
	const n = 1000
	bus := newFakeBus()
	ts := newServer(b, Config{PingInterval: time.Hour, SendQueue: 256}, bus, nil)
	var total atomic.Int64
	done := make(chan struct{}, 1)
	parallel(n, 8, func(i int) {
		c := mustConnect(b, ts.url, "org1", strconv.Itoa(i))
		go func() {
			for {
				if _, err := c.ReadMessage(); err != nil {
					return
				}
				if total.Add(1)%n == 0 {
					done <- struct{}{}
				}
			}
		}()
	})
	ev := server.Event{Type: server.EventCallCompleted, OrganizationID: "org1", Data: []byte(`{"conversationId":"c-123","status":"done"}`)}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ev.Timestamp = time.Now()
		_ = bus.Publish(context.Background(), ev)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			b.Fatalf("fan-out did not complete: %d reads", total.Load())
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/conn")
	var m dto.Metric
	_ = ts.hub.metrics.fanout.(prometheus.Metric).Write(&m)
	if hm := m.GetHistogram(); hm.GetSampleCount() > 0 {
		b.ReportMetric(hm.GetSampleSum()/float64(hm.GetSampleCount())*1e6, "µs-mean-fanout-latency")
	}
}

// BenchmarkOnEvent is the bus callback alone: encode once, push to the ring.
func BenchmarkOnEvent(b *testing.B) {
	h := NewHub(Config{PingInterval: time.Hour}, nil, nil, nil)
	defer h.Shutdown(context.Background())
	o := newOrg(h, "org1")
	h.orgs["org1"] = o // no connections: measures encode + push only
	ev := server.Event{Type: server.EventCallCompleted, OrganizationID: "org1", Data: []byte(`{"conversationId":"c-123"}`), Timestamp: time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		h.onEvent(ev)
	}
}

// memClientEnv makes the test binary a client process holding idle
// connections for BenchmarkIdleConnectionMemory (see TestMain).
const memClientEnv = "REALTIME_MEM_CLIENT"

func TestMain(m *testing.M) {
	if v, err := strconv.Atoi(os.Getenv("REALTIME_NETPOLL_BUFFER")); err == nil {
		if err := TuneNetpoll(v); err != nil {
			panic(err)
		}
	}
	if spec := os.Getenv(memClientEnv); spec != "" {
		runMemClient(spec)
		return
	}
	os.Exit(m.Run())
}

// runMemClient dials N connections ("url n"), reads their connected
// message, prints "ready" and idles until stdin closes.
func runMemClient(spec string) {
	url, ns, _ := strings.Cut(spec, " ")
	n, _ := strconv.Atoi(ns)
	conns := make([]*wsclient.Conn, n)
	parallel(n, 16, func(i int) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := wsclient.Dial(ctx, url, http.Header{"X-Org": {"org" + strconv.Itoa(i%10)}, "X-User": {strconv.Itoa(i)}})
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
		if _, err := c.ReadMessage(); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		conns[i] = c
	})
	fmt.Println("ready")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	runtime.KeepAlive(conns)
}

// BenchmarkIdleConnectionMemory measures the server's memory per idle
// connection: N=2,000 (REALTIME_MEM_N) WebSockets held by a client
// subprocess, so this process's RSS is the server's alone. Run it with
// -benchtime=1x; it reports heap, stack and RSS bytes per connection.
func BenchmarkIdleConnectionMemory(b *testing.B) {
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) { benchmarkIdleConnectionMemory(b, m.new) })
	}
}

func benchmarkIdleConnectionMemory(b *testing.B, newServer serverFunc) {
	n := 2000
	if v, err := strconv.Atoi(os.Getenv("REALTIME_MEM_N")); err == nil && v > 0 {
		n = v
	}
	ts := newServer(b, Config{PingInterval: time.Hour}, newFakeBus(), nil)
	before := memSnapshot()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), memClientEnv+"="+ts.url+" "+strconv.Itoa(n))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = stdin.Close(); _ = cmd.Wait() }()
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		b.Fatalf("client process: %q", line)
	}
	waitFor(b, 30*time.Second, "connections", func() bool { return ts.hub.Count() == n })
	after := memSnapshot()
	for b.Loop() {
	}
	per := func(a, z uint64) float64 { return (float64(z) - float64(a)) / float64(n) }
	b.ReportMetric(per(before.heap, after.heap), "heap-B/conn")
	b.ReportMetric(per(before.stack, after.stack), "stack-B/conn")
	b.ReportMetric(per(before.goSys, after.goSys), "gosys-B/conn")
	b.ReportMetric(per(before.rss, after.rss), "rss-B/conn")
	b.Logf("n=%d heap %+.0f B, stacks %+.0f B, Go sys %+.0f B, RSS %+.0f B (per conn)", n,
		per(before.heap, after.heap), per(before.stack, after.stack), per(before.goSys, after.goSys), per(before.rss, after.rss))
}

type mem struct{ heap, stack, goSys, rss uint64 }

func memSnapshot() mem {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return mem{heap: ms.HeapAlloc, stack: ms.StackInuse, goSys: ms.Sys - ms.HeapReleased, rss: rssBytes()}
}

// rssBytes reads VmRSS from /proc/self/status (0 where unavailable).
func rssBytes() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
