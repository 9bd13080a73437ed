package loadgen

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultMaxConnsPerProcess keeps each generator process under the
// open-file limit of 20,000 per process with room to spare (6,000
// descriptors for sockets being replaced, pipes and files). Each process
// dials from its own source address, so its connections also fit one
// address's ephemeral port range (28,232 ports) towards one server port.
const DefaultMaxConnsPerProcess = 14000

// DefaultSourceAddrs are the loopback source addresses worker processes
// dial from, so each gets its own ephemeral port range.
var DefaultSourceAddrs = []string{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5",
	"127.0.0.6", "127.0.0.7", "127.0.0.8", "127.0.0.9"}

// RunConfig is a whole tier run over one or several generator processes.
type RunConfig struct {
	TierConfig
	// MaxConnsPerProcess (default 14,000) decides the process count with the
	// tier's own minimum; Processes > 0 forces it.
	MaxConnsPerProcess int
	Processes          int
	// SourceAddrs, one per worker round robin (default 127.0.0.2-9 when the
	// server is on loopback and there are several processes).
	SourceAddrs []string
	// WorkerCommand starts a worker (default: this executable with the
	// argument "worker"); WorkerEnv is added to its environment.
	WorkerCommand []string
	WorkerEnv     []string
}

// Run runs a tier: in this process when one suffices, else in worker
// processes whose results are merged.
func Run(ctx context.Context, cfg RunConfig) (*Result, error) {
	if cfg.MaxConnsPerProcess <= 0 {
		cfg.MaxConnsPerProcess = DefaultMaxConnsPerProcess
	}
	k := cfg.Processes
	if k <= 0 {
		k = cfg.Tier.Processes(cfg.MaxConnsPerProcess)
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Now().Add(500 * time.Millisecond) // let workers start
	}
	if cfg.RunID == "" {
		cfg.RunID = fmt.Sprintf("lg%x", time.Now().UnixNano())
	}
	var res *Result
	var err error
	if k == 1 {
		cfg.Processes, cfg.Process = 1, 0
		res, err = RunTier(ctx, cfg.TierConfig)
	} else {
		res, err = runWorkers(ctx, cfg, k)
	}
	if err != nil {
		return nil, err
	}
	res.Machine = ThisMachine()
	res.Tier = cfg.Tier
	res.Name = "tier " + cfg.Tier.Name
	return res, nil
}

func isLoopback(baseURL string) bool {
	t, _, err := ParseTarget(strings.TrimRight(baseURL, "/") + "/")
	if err != nil {
		return false
	}
	host, _, _ := net.SplitHostPort(t.Addr)
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

// worker is a running child process.
type worker struct {
	cmd    *exec.Cmd
	last   ProgressMsg
	result *Result
	err    error

	onMetrics func(addr string) // the worker's /metrics address (nil: not wanted)
}

func runWorkers(ctx context.Context, cfg RunConfig, k int) (*Result, error) {
	if len(cfg.SourceAddrs) == 0 && isLoopback(cfg.BaseURL) {
		cfg.SourceAddrs = DefaultSourceAddrs
	}
	argv := cfg.WorkerCommand
	if len(argv) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("cannot find own executable: %w", err)
		}
		argv = []string{exe, "worker"}
	}
	srv0 := ProcessTreeCPUSeconds(cfg.ServerPID)
	wctx, cancel := context.WithDeadline(ctx, cfg.Start.Add(cfg.Tier.Duration()+time.Minute))
	defer cancel()
	var mu sync.Mutex
	ws := make([]*worker, k)
	var wg sync.WaitGroup
	for p := 0; p < k; p++ {
		tc := cfg.TierConfig
		tc.Process, tc.Processes, tc.ServerPID, tc.LocalAddrs = p, k, 0, nil
		tc.ServeMetrics = cfg.Metrics != nil
		if len(cfg.SourceAddrs) > 0 {
			tc.LocalAddrs = []string{cfg.SourceAddrs[p%len(cfg.SourceAddrs)]}
		}
		w, out, err := startWorker(wctx, argv, workerEnv(cfg.WorkerEnv, k), tc)
		if err != nil {
			cancel()
			wg.Wait()
			return nil, err
		}
		ws[p] = w
		if cfg.Metrics != nil {
			w.onMetrics = func(addr string) { cfg.Metrics.setWorker(p, addr) }
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			readWorker(out, w, &mu)
			if err := w.cmd.Wait(); err != nil && w.err == nil {
				w.err = fmt.Errorf("worker %d: %w", p, err)
			}
		}()
	}
	stop := coordinatorProgress(wctx, cfg, ws, &mu)
	wg.Wait()
	stop()
	var rs []*Result
	for p, w := range ws {
		if w.result == nil {
			return nil, fmt.Errorf("cannot merge results: worker %d sent none: %v", p, w.err)
		}
		rs = append(rs, w.result)
	}
	res := Merge(rs...)
	if cfg.ServerPID > 0 {
		res.ServerCPUSeconds = ProcessTreeCPUSeconds(cfg.ServerPID) - srv0
	}
	return res, nil
}

func startWorker(ctx context.Context, argv, env []string, tc TierConfig) (*worker, io.Reader, error) {
	spec, err := json.Marshal(tc)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot encode worker spec: %w", err)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(string(spec))
	cmd.Stderr = os.Stderr
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, fmt.Errorf("cannot pipe worker: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("cannot start worker %v: %w", argv, err)
	}
	return &worker{cmd: cmd}, out, nil
}

// workerEnv is env plus, unless GOMAXPROCS is set, GOMAXPROCS = CPUs / k
// (at least 1), as the server does for its cluster workers: k processes
// each running as many threads as the machine has cores only made more
// threads compete for the cores (on 2 cores, 8 generators and 8 server
// workers at GOMAXPROCS=2 kept a run queue of ~28).
func workerEnv(env []string, k int) []string {
	if _, set := os.LookupEnv("GOMAXPROCS"); set {
		return env
	}
	for _, e := range env {
		if strings.HasPrefix(e, "GOMAXPROCS=") {
			return env
		}
	}
	return append(env[:len(env):len(env)], "GOMAXPROCS="+strconv.Itoa(max(1, runtime.NumCPU()/k)))
}

// workerMsg is one line a worker writes on stdout.
type workerMsg struct {
	Progress *ProgressMsg `json:"progress,omitempty"`
	Result   *Result      `json:"result,omitempty"`
	// MetricsAddr is where the worker serves its /metrics (ServeMetrics).
	MetricsAddr string `json:"metricsAddr,omitempty"`
}

func readWorker(out io.Reader, w *worker, mu *sync.Mutex) {
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	for sc.Scan() {
		var m workerMsg
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			mu.Lock()
			w.err = fmt.Errorf("cannot parse worker output: %w", err)
			mu.Unlock()
			continue
		}
		mu.Lock()
		if m.Progress != nil {
			w.last = *m.Progress
		}
		if m.Result != nil {
			w.result = m.Result
		}
		mu.Unlock()
		if m.MetricsAddr != "" && w.onMetrics != nil {
			w.onMetrics(m.MetricsAddr)
		}
	}
}

// coordinatorProgress prints the live line from the workers' totals (p99 is
// the worst worker's last second).
func coordinatorProgress(ctx context.Context, cfg RunConfig, ws []*worker, mu *sync.Mutex) (stop func()) {
	w := cfg.Progress
	if w == nil {
		return func() {}
	}
	tty := isTerminal(w)
	done := make(chan struct{})
	cctx, cancel := context.WithCancel(ctx)
	go func() {
		defer close(done)
		tk := time.NewTicker(time.Second)
		defer tk.Stop()
		var lastReq int64
		for {
			select {
			case <-cctx.Done():
				if tty {
					fmt.Fprintln(w)
				}
				return
			case now := <-tk.C:
				var sum ProgressMsg
				mu.Lock()
				for _, wk := range ws {
					sum.Requests += wk.last.Requests
					sum.Errors += wk.last.Errors
					sum.Users += wk.last.Users
					sum.Sockets += wk.last.Sockets
					sum.Conns += wk.last.Conns
					sum.P99Ms = max(sum.P99Ms, wk.last.P99Ms)
				}
				mu.Unlock()
				line := ProgressLine(fmt.Sprintf("tier %s x%d", cfg.Tier.Name, len(ws)), now.Sub(cfg.Start),
					sum.Users, sum.Sockets, sum.Conns, float64(sum.Requests-lastReq), sum.Errors, sum.Requests, sum.P99Ms)
				lastReq = sum.Requests
				if tty {
					fmt.Fprint(w, "\r\033[K"+line)
				} else {
					fmt.Fprintln(w, line)
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

// WorkerMain is the body of `loadgen worker`: it reads a TierConfig (JSON)
// from in, runs it, and writes progress lines and then the result (JSON
// lines) to out. It returns the process exit code.
func WorkerMain(ctx context.Context, in io.Reader, out io.Writer) int {
	var tc TierConfig
	if err := json.NewDecoder(in).Decode(&tc); err != nil {
		fmt.Fprintf(os.Stderr, "loadgen worker: cannot read spec: %v\n", err)
		return 2
	}
	var mu sync.Mutex
	enc := json.NewEncoder(out)
	send := func(m workerMsg) {
		mu.Lock()
		defer mu.Unlock()
		_ = enc.Encode(m)
	}
	tc.OnSecond = func(p ProgressMsg) { send(workerMsg{Progress: &p}) }
	if tc.ServeMetrics {
		tc.Metrics = NewMetrics()
		addr, err := tc.Metrics.Serve(ctx, "127.0.0.1:0")
		if err != nil {
			fmt.Fprintf(os.Stderr, "loadgen worker %d: %v\n", tc.Process, err)
			return 2
		}
		send(workerMsg{MetricsAddr: addr})
	}
	res, err := RunTier(ctx, tc)
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadgen worker %d: %v\n", tc.Process, err)
		return 2
	}
	send(workerMsg{Result: res})
	return 0
}
