package proof

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/procfs"

	"github.com/echosenseix/echosenseix/loadtests/loadgen"
	"github.com/echosenseix/echosenseix/loadtests/netns"
)

// BurstConfig sizes one connection burst.
type BurstConfig struct {
	Self        string        // the proof binary (child modes)
	Conns       int           // new connections in the burst
	Procs       int           // dialer processes (open-file limit: 20,000 each)
	Spread      time.Duration // the burst's length
	Busy        time.Duration // the accept loop is busy this long from the start
	DialTimeout time.Duration // per connect
}

// BurstResult is one burst inside one namespace.
type BurstResult struct {
	Profile         string            `json:"profile"`
	Netns           string            `json:"netns"`
	Sysctls         map[string]string `json:"sysctls"`
	Attempts        int64             `json:"attempts"`
	Connected       int64             `json:"connected"`
	Errors          int64             `json:"errors"`
	ErrorKinds      map[string]int64  `json:"errorKinds"`
	ListenOverflows int64             `json:"listenOverflows"`
	ListenDrops     int64             `json:"listenDrops"`
	// SoftnetDrops are packets dropped by the per-CPU input backlog
	// (net.core.netdev_max_backlog, global: counted host-wide during the
	// burst, other traffic included).
	SoftnetDrops int64              `json:"softnetDrops"`
	P50Ms        float64            `json:"p50Ms"`
	P99Ms        float64            `json:"p99Ms"`
	MaxMs        float64            `json:"maxMs"`
	Latency      *loadgen.Histogram `json:"latencyUs"`
}

const burstPort = 7000

// RunBurst runs one burst inside ns: a listener and cfg.Procs dialers,
// all started with `ip netns exec`, then nstat read inside ns.
func RunBurst(ctx context.Context, ns *netns.NS, profile string, cfg BurstConfig) (BurstResult, error) {
	res := BurstResult{Profile: profile, Netns: ns.Name, ErrorKinds: map[string]int64{}, Latency: loadgen.NewHistogram()}
	var err error
	if res.Sysctls, err = ns.Sysctls(ctx, netns.NetKeys); err != nil {
		return res, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Spread+cfg.Busy+cfg.DialTimeout+30*time.Second)
	defer cancel()
	start := time.Now().Add(2 * time.Second) // time for every child to start
	drops0 := softnetDrops()
	ln, err := startListener(ctx, ns, cfg, start)
	if err != nil {
		return res, err
	}
	defer func() { _ = ln.Process.Kill(); _ = ln.Wait() }()
	reps, err := runDialers(ctx, ns, cfg, start)
	if err != nil {
		return res, err
	}
	for _, r := range reps {
		res.Attempts += r.Attempts
		res.Connected += r.Connected
		for k, v := range r.Errors {
			res.ErrorKinds[k] += v
			res.Errors += v
		}
		res.Latency.Merge(r.Latency)
	}
	res.P50Ms, res.P99Ms = res.Latency.Quantile(0.5)/1000, res.Latency.Quantile(0.99)/1000
	res.MaxMs = float64(res.Latency.Max()) / 1000
	res.SoftnetDrops = softnetDrops() - drops0
	st, err := ns.Nstat(ctx, "TcpExtListenOverflows", "TcpExtListenDrops")
	if err != nil {
		return res, err
	}
	res.ListenOverflows, res.ListenDrops = st["TcpExtListenOverflows"], st["TcpExtListenDrops"]
	return res, nil
}

// startListener starts the listener child and waits for "listening".
func startListener(ctx context.Context, ns *netns.NS, cfg BurstConfig, start time.Time) (*exec.Cmd, error) {
	cmd := ns.Command(ctx, cfg.Self, ModeListen, "-port", strconv.Itoa(burstPort), "-start", strconv.FormatInt(start.UnixNano(), 10),
		"-busy", cfg.Busy.String(), "-accept", (cfg.Spread + cfg.DialTimeout + 2*time.Second).String())
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("cannot start listener: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("cannot start listener: %w", err)
	}
	sc := bufio.NewScanner(out)
	if !sc.Scan() || strings.TrimSpace(sc.Text()) != "listening" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("cannot start listener in %s: no 'listening' line", ns.Name)
	}
	go func() {
		for sc.Scan() {
		}
	}()
	return cmd, nil
}

// runDialers runs cfg.Procs dialer children at once and decodes their
// reports.
func runDialers(ctx context.Context, ns *netns.NS, cfg BurstConfig, start time.Time) ([]DialReport, error) {
	procs := max(cfg.Procs, 1)
	reps := make([]DialReport, procs)
	errs := make([]error, procs)
	var wg sync.WaitGroup
	for i := 0; i < procs; i++ {
		n := cfg.Conns / procs
		if i < cfg.Conns%procs {
			n++
		}
		wg.Add(1)
		go func(i, n int) {
			defer wg.Done()
			cmd := ns.Command(ctx, cfg.Self, ModeDial, "-port", strconv.Itoa(burstPort), "-n", strconv.Itoa(n),
				"-start", strconv.FormatInt(start.UnixNano(), 10), "-spread", cfg.Spread.String(), "-timeout", cfg.DialTimeout.String())
			out, err := cmd.Output()
			if err != nil {
				errs[i] = fmt.Errorf("cannot run dialer %d in %s: %w", i, ns.Name, err)
				return
			}
			if err := json.Unmarshal(out, &reps[i]); err != nil {
				errs[i] = fmt.Errorf("cannot read dialer %d report: %w", i, err)
			}
		}(i, n)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return reps, nil
}

// softnetDrops sums the host's per-CPU backlog drops (/proc/net/softnet_stat).
func softnetDrops() int64 {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return 0
	}
	st, err := fs.NetSoftnetStat()
	if err != nil {
		return 0
	}
	var n int64
	for _, c := range st {
		n += int64(c.Dropped)
	}
	return n
}
