package e2e_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/internal/testbin"
)

// binPath is the echosenseix binary built by TestMain for the end-to-end
// tests: they run the real server, in-memory providers, on free ports.
var binPath string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("end-to-end suites skipped under -short")
		os.Exit(0)
	}
	var err error
	if binPath, err = testbin.Server.Build(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	stack.StopAll()
	testbin.Server.Remove()
	os.Exit(code)
}

// syncBuffer collects a process's output for failure messages.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serverProc is a running echosenseix serve.
type serverProc struct {
	t    *testing.T
	cmd  *exec.Cmd
	out  *syncBuffer
	base string
	done chan struct{}
	err  error
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("cannot get a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startServer runs `echosenseix serve` with a clean environment (no
// DATABASE_URL or REDIS_URL: in-memory providers) plus env.
func startServer(t *testing.T, env ...string) *serverProc {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command(binPath, "serve")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir(),
		"PORT=" + strconv.Itoa(port), "HOST=127.0.0.1", "LOG_LEVEL=info", "CLUSTER_ENABLED=true",
		"SHUTDOWN_DRAIN_DELAY=0"}, env...) // tests of the drain set their own delay
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("cannot start echosenseix: %v", err)
	}
	p := &serverProc{t: t, cmd: cmd, out: out, base: "http://127.0.0.1:" + strconv.Itoa(port), done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.exited() {
			_ = cmd.Process.Signal(syscall.SIGKILL)
			<-p.done
		}
		if t.Failed() {
			t.Logf("echosenseix output:\n%s", lastLines(out.String(), 60))
		}
	})
	return p
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (p *serverProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitExit waits for the process to exit and answers its exit code.
func (p *serverProc) waitExit(d time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		p.t.Fatalf("echosenseix did not exit within %s", d)
	}
	if ee, ok := p.err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if p.err != nil {
		p.t.Fatalf("wait: %v", p.err)
	}
	return 0
}

type workerStatus struct {
	Slot     int    `json:"slot"`
	PID      int    `json:"pid"`
	Restarts int    `json:"restarts"`
	State    string `json:"state"`
}

type healthAnswer struct {
	Details struct {
		Process struct {
			Slot int `json:"slot"`
			PID  int `json:"pid"`
		} `json:"process"`
		Workers []workerStatus `json:"workers"`
	} `json:"details"`
}

var freshClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

func (p *serverProc) health() (*healthAnswer, error) {
	resp, err := freshClient.Get(p.base + "/health")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var h healthAnswer
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		return nil, err
	}
	return &h, nil
}

// waitWorkers waits until /health lists n ready workers and cond holds.
func (p *serverProc) waitWorkers(n int, d time.Duration, cond func([]workerStatus) bool) []workerStatus {
	p.t.Helper()
	deadline := time.Now().Add(d)
	var last []workerStatus
	for time.Now().Before(deadline) {
		if p.exited() {
			p.t.Fatalf("echosenseix exited early: %v", p.err)
		}
		if h, err := p.health(); err == nil {
			last = h.Details.Workers
			ready := 0
			for _, w := range last {
				if w.State == "ready" {
					ready++
				}
			}
			if ready == n && (cond == nil || cond(last)) {
				return last
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.t.Fatalf("workers not as wanted within %s; last: %+v", d, last)
	return nil
}

// load runs c goroutines of GET path until stop; each request's outcome is
// recorded with its start time.
type load struct {
	ok, failed atomic.Int64
	mu         sync.Mutex
	failures   []failure
	stop       chan struct{}
	stopOnce   sync.Once
	wg         sync.WaitGroup
}

type failure struct {
	start time.Time
	err   string
}

func startLoad(base, path string, c int, keepAlive bool) *load {
	l := &load{stop: make(chan struct{})}
	for range c {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: !keepAlive, MaxIdleConnsPerHost: 1}}
			defer client.CloseIdleConnections()
			for i := 0; i < 1_000_000; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				l.one(client, base+path)
			}
		}()
	}
	return l
}

func (l *load) one(client *http.Client, url string) {
	start := time.Now()
	resp, err := client.Get(url)
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != 200 {
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
	}
	if err != nil {
		l.failed.Add(1)
		l.mu.Lock()
		l.failures = append(l.failures, failure{start: start, err: err.Error()})
		l.mu.Unlock()
		return
	}
	l.ok.Add(1)
}

func (l *load) finish() {
	l.stopOnce.Do(func() { close(l.stop) })
	l.wg.Wait()
}

// waitOK waits until the load has n more successes (bounded).
func (l *load) waitOK(t *testing.T, n int64, d time.Duration) {
	t.Helper()
	want := l.ok.Load() + n
	deadline := time.Now().Add(d)
	for l.ok.Load() < want {
		if time.Now().After(deadline) {
			t.Fatalf("load made %d of %d successes within %s", l.ok.Load(), want, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func clusterEnv(workers int, extra ...string) []string {
	return append([]string{"CLUSTER_WORKERS=" + strconv.Itoa(workers), "CLUSTER_RESTART_DELAY=200",
		"CLUSTER_SHUTDOWN_TIMEOUT=5000"}, extra...)
}

func TestClusterAllWorkersServe(t *testing.T) {
	p := startServer(t, clusterEnv(3)...)
	ws := p.waitWorkers(3, 10*time.Second, nil)
	want := map[int]bool{}
	for _, w := range ws {
		want[w.PID] = true
	}
	seen := map[int]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				h, err := p.health()
				if err != nil {
					t.Errorf("GET /health: %v", err)
					return
				}
				mu.Lock()
				seen[h.Details.Process.PID] = true
				n := len(seen)
				mu.Unlock()
				if n == len(want) {
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(seen) != 3 {
		t.Fatalf("distinct worker pids answering: got %d (%v); want 3 (%v)", len(seen), seen, want)
	}
	for pid := range seen {
		if !want[pid] {
			t.Errorf("pid %d answered but is not in /health workers %v", pid, ws)
		}
	}
}

// TestClusterWorkerKilled: SIGKILL one worker under a load of new
// connections. Shared listener: only requests in flight on the dead worker
// fail (the accept backlog belongs to the shared socket). reuseport: the
// kernel resets the connections queued on the dead worker's socket, so more
// may fail; the test reports them and checks the rest.
func TestClusterWorkerKilled(t *testing.T) {
	for _, mode := range []string{"shared", "reuseport"} {
		t.Run(mode, func(t *testing.T) { testWorkerKilled(t, mode) })
	}
}

func testWorkerKilled(t *testing.T, mode string) {
	p := startServer(t, clusterEnv(2, "CLUSTER_LISTEN_MODE="+mode)...)
	ws := p.waitWorkers(2, 10*time.Second, nil)
	victim := ws[0]
	const conc = 8
	l := startLoad(p.base, "/health/live", conc, false)
	defer l.finish()
	l.waitOK(t, 200, 10*time.Second)
	if err := syscall.Kill(victim.PID, syscall.SIGKILL); err != nil {
		t.Fatalf("kill worker: %v", err)
	}
	killed := time.Now()
	okAtKill := l.ok.Load()
	p.waitWorkers(2, 10*time.Second, func(ws []workerStatus) bool {
		return ws[0].PID != victim.PID && ws[0].Restarts == 1
	})
	refilled := time.Since(killed)
	if refilled < 200*time.Millisecond {
		t.Errorf("slot refilled after %s; want >= CLUSTER_RESTART_DELAY (200ms)", refilled)
	}
	if l.ok.Load() == okAtKill {
		t.Errorf("no request succeeded while the slot was empty; want the other worker to keep serving")
	}
	failedAtRefill := l.failed.Load()
	l.waitOK(t, 500, 10*time.Second)
	l.finish()
	if got := l.failed.Load(); got > conc && mode == "shared" {
		t.Errorf("failed requests: got %d (%v); want <= %d (those in flight on the killed worker)", got, l.failures, conc)
	}
	if got := l.failed.Load(); got != failedAtRefill {
		t.Errorf("failures after the slot was refilled: got %d; want 0", got-failedAtRefill)
	}
	t.Logf("%s: SIGKILL of one worker: %d ok, %d failed; slot refilled after %s", mode, l.ok.Load(), l.failed.Load(), refilled)
}

func TestClusterWorkerCrashAtStartup(t *testing.T) {
	p := startServer(t, clusterEnv(2, "CLUSTER_TEST_CRASH=startup", "CLUSTER_RESTART_DELAY=20", "CLUSTER_MAX_RESTARTS=3")...)
	code := p.waitExit(15 * time.Second)
	if code == 0 {
		t.Errorf("primary exit code: got 0; want non-zero when every slot is given up")
	}
	out := p.out.String()
	starts := strings.Count(out, `"msg":"cluster: worker started"`)
	if want := 2 * (1 + 3); starts != want {
		t.Errorf("worker starts: got %d; want %d (first start + CLUSTER_MAX_RESTARTS per slot)", starts, want)
	}
	if got := strings.Count(out, `"msg":"cluster: slot given up: too many restarts"`); got != 2 {
		t.Errorf("slots given up: got %d; want 2", got)
	}
}

// TestClusterSlotGivenUp: one slot crashing at start-up is given up after
// CLUSTER_MAX_RESTARTS restarts, reported in /health and /metrics, while the
// other slot keeps serving and the primary keeps running.
func TestClusterSlotGivenUp(t *testing.T) {
	p := startServer(t, clusterEnv(2, "CLUSTER_TEST_CRASH=startup:1", "CLUSTER_RESTART_DELAY=20", "CLUSTER_MAX_RESTARTS=2")...)
	ws := p.waitWorkers(1, 10*time.Second, func(ws []workerStatus) bool { return ws[1].State == "given_up" })
	if ws[0].State != "ready" || ws[1].Restarts != 2 {
		t.Errorf("workers: got %+v; want slot 0 ready, slot 1 given up after 2 restarts", ws)
	}
	fams := scrape(t, p.base)
	series := func(name, slot string) float64 {
		for _, m := range fams[name].GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "slot" && lp.GetValue() == slot {
					return m.GetGauge().GetValue() + m.GetCounter().GetValue()
				}
			}
		}
		return -1
	}
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{`cluster_slot_given_up{slot="1"}`, series("cluster_slot_given_up", "1"), 1},
		{`cluster_slot_given_up{slot="0"}`, series("cluster_slot_given_up", "0"), 0},
		{`cluster_worker_restarts_total{slot="1"}`, series("cluster_worker_restarts_total", "1"), 2},
		{`cluster_workers`, fams["cluster_workers"].GetMetric()[0].GetGauge().GetValue(), 1},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v; want %v", tt.name, tt.got, tt.want)
		}
	}
	if p.exited() {
		t.Errorf("primary exited with a slot still serving: %v", p.err)
	}
}

// TestSIGTERMUnderLoad: a cluster, and one process (CLUSTER_ENABLED=false),
// drain under load as a balancer needs it: for SHUTDOWN_DRAIN_DELAY after
// SIGTERM /health/ready answers 503, new connections are still accepted
// and every request is answered (with Connection: close), then the process
// exits 0 within the delay plus CLUSTER_SHUTDOWN_TIMEOUT.
func TestSIGTERMUnderLoad(t *testing.T) {
	t.Run("cluster", func(t *testing.T) {
		p := startServer(t, clusterEnv(2, "SHUTDOWN_DRAIN_DELAY="+strconv.Itoa(int(testDrainDelay/time.Millisecond)))...)
		p.waitWorkers(2, 10*time.Second, nil)
		testSIGTERM(t, p)
	})
	t.Run("single", func(t *testing.T) {
		p := startServer(t, "CLUSTER_ENABLED=false", "CLUSTER_SHUTDOWN_TIMEOUT=5000",
			"SHUTDOWN_DRAIN_DELAY="+strconv.Itoa(int(testDrainDelay/time.Millisecond)))
		waitLive(t, p)
		testSIGTERM(t, p)
	})
}

// testDrainDelay is the SHUTDOWN_DRAIN_DELAY of the drain tests.
const testDrainDelay = 2 * time.Second

func waitLive(t *testing.T, p *serverProc) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := freshClient.Get(p.base + "/health/live"); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("server not live within 10s")
}

// readyPoll asks /health/ready every 20 ms on a keep-alive client (a new
// connection when the server closed the last one) and keeps what it saw.
type readyPoll struct {
	stop     chan struct{}
	done     chan struct{}
	mu       sync.Mutex
	statuses []readyStatus
}

type readyStatus struct {
	at    time.Time
	code  int  // 0: no answer
	close bool // the answer said Connection: close
}

func pollReady(base string) *readyPoll {
	r := &readyPoll{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
		defer client.CloseIdleConnections()
		for i := 0; i < 100_000; i++ {
			select {
			case <-r.stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			st := readyStatus{at: time.Now()}
			if resp, err := client.Get(base + "/health/ready"); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				st.code, st.close = resp.StatusCode, resp.Close
			}
			r.mu.Lock()
			r.statuses = append(r.statuses, st)
			r.mu.Unlock()
		}
	}()
	return r
}

func (r *readyPoll) finish() []readyStatus {
	close(r.stop)
	<-r.done
	return r.statuses
}

func testSIGTERM(t *testing.T, p *serverProc) {
	l := startLoad(p.base, "/health/live", 6, true)
	fresh := startLoad(p.base, "/health/live", 4, false)
	l.waitOK(t, 300, 10*time.Second)
	fresh.waitOK(t, 100, 10*time.Second)
	ready := pollReady(p.base)
	sent := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Half-way through the delay new connections must still be served.
	time.Sleep(testDrainDelay / 2)
	freshMid := fresh.ok.Load()
	keptMid := l.ok.Load()
	time.Sleep(testDrainDelay / 4)
	if fresh.ok.Load() == freshMid || l.ok.Load() == keptMid {
		t.Errorf("requests answered between %s and %s after SIGTERM: new connections %d, keep-alive %d; want both > 0 (still serving during the drain delay)",
			testDrainDelay/2, 3*testDrainDelay/4, fresh.ok.Load()-freshMid, l.ok.Load()-keptMid)
	}
	code := p.waitExit(10 * time.Second)
	took := time.Since(sent)
	l.finish()
	fresh.finish()
	statuses := ready.finish()
	if code != 0 {
		t.Errorf("exit code after SIGTERM: got %d; want 0", code)
	}
	if took < testDrainDelay {
		t.Errorf("exited %s after SIGTERM; want after the drain delay (%s)", took, testDrainDelay)
	}
	if took > testDrainDelay+5*time.Second {
		t.Errorf("shutdown took %s; want within SHUTDOWN_DRAIN_DELAY + CLUSTER_SHUTDOWN_TIMEOUT (%s)", took, testDrainDelay+5*time.Second)
	}
	// The window a balancer relies on: until shortly before the delay ends
	// nothing fails, on kept or new connections.
	window := sent.Add(testDrainDelay - 300*time.Millisecond)
	for _, ld := range []*load{l, fresh} {
		for _, f := range ld.failures {
			if f.start.Before(window) {
				t.Errorf("request started %s after SIGTERM (within the drain delay) failed: %s", f.start.Sub(sent), f.err)
			}
		}
	}
	seen503 := false
	for _, st := range statuses {
		in := st.at.Sub(sent)
		switch {
		case in > 100*time.Millisecond && st.at.Before(window):
			if st.code != 503 || !st.close {
				t.Errorf("GET /health/ready %s after SIGTERM: status %d, Connection: close %v; want 503 and close", in, st.code, st.close)
			}
			seen503 = seen503 || st.code == 503
		case in < 0 && st.code != 200:
			t.Errorf("GET /health/ready before SIGTERM: status %d; want 200", st.code)
		}
	}
	if !seen503 {
		t.Errorf("no 503 from /health/ready during the drain delay (%d polls)", len(statuses))
	}
	late := 0
	for _, ld := range []*load{l, fresh} {
		for _, f := range ld.failures {
			if !f.start.Before(window) {
				late++
			}
		}
	}
	t.Logf("SIGTERM under load: %d ok, %d failed (all after the drain delay ended, the listener closed); %d readiness polls; exit in %s",
		l.ok.Load()+fresh.ok.Load(), late, len(statuses), took)
}

func TestClusterSIGHUPRollingRestart(t *testing.T) {
	p := startServer(t, clusterEnv(2)...)
	before := p.waitWorkers(2, 10*time.Second, nil)
	fresh := startLoad(p.base, "/health/live", 4, false)
	kept := startLoad(p.base, "/health/live", 4, true)
	fresh.waitOK(t, 200, 10*time.Second)
	ready := pollReady(p.base)
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	p.waitWorkers(2, 20*time.Second, func(ws []workerStatus) bool {
		return ws[0].PID != before[0].PID && ws[1].PID != before[1].PID
	})
	fresh.waitOK(t, 200, 10*time.Second)
	kept.waitOK(t, 200, 10*time.Second)
	fresh.finish()
	kept.finish()
	// A retiring worker keeps /health/ready at 200: the instance stays ready.
	for _, st := range ready.finish() {
		if st.code != 200 {
			t.Errorf("GET /health/ready during the roll: status %d; want 200 (a replaced worker retires without failing the instance's check)", st.code)
		}
	}
	if n := fresh.failed.Load() + kept.failed.Load(); n != 0 {
		t.Errorf("connection errors during the rolling restart: got %d (%v %v); want 0", n, fresh.failures, kept.failures)
	}
	if p.exited() {
		t.Fatalf("primary exited during the roll: %v", p.err)
	}
	t.Logf("SIGHUP roll: %d + %d requests ok", fresh.ok.Load(), kept.ok.Load())
}

func TestClusterMetricsTotals(t *testing.T) {
	p := startServer(t, clusterEnv(2)...)
	p.waitWorkers(2, 10*time.Second, nil)
	const n = 300
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n / 6 {
				resp, err := freshClient.Get(p.base + "/health/live")
				if err != nil {
					failed.Add(1)
					continue
				}
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("%d requests failed", failed.Load())
	}
	scrape(t, p.base) // counted in the second scrape
	fams := scrape(t, p.base)
	totals := map[string]float64{}
	workers := map[string]bool{}
	for _, m := range fams["http_requests_total"].GetMetric() {
		lbl := map[string]string{}
		for _, lp := range m.GetLabel() {
			lbl[lp.GetName()] = lp.GetValue()
		}
		totals[lbl["route"]] += m.GetCounter().GetValue()
		workers[lbl["worker"]] = true
	}
	// /health requests made by waitWorkers are counted under /health.
	if got := totals["/health/live"]; got != n {
		t.Errorf("sum(http_requests_total{route=\"/health/live\"}): got %v; want %d", got, n)
	}
	if got := totals["/metrics"]; got != 1 {
		t.Errorf("sum(http_requests_total{route=\"/metrics\"}): got %v; want 1 (the first scrape)", got)
	}
	if workers[""] || len(workers) < 2 {
		t.Errorf("worker labels on http_requests_total: got %v; want every series labelled, both workers present", workers)
	}
	if _, ok := fams["cluster_workers"]; !ok {
		t.Errorf("cluster_workers missing from /metrics")
	}
}

func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := freshClient.Get(base + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /metrics: status %d: %s", resp.StatusCode, b)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("cannot parse /metrics: %v", err)
	}
	return fams
}
