package wsload

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Config of a run. Zero fields take the defaults noted.
type Config struct {
	Name         string        // report title; default the mode
	Mode         string        // ModeWS or ModeHTTP
	Conns        int           // connections to hold
	Procs        int           // child processes; default ProcsFor(Conns)
	Addrs        []string      // source addresses; default DefaultAddrs
	Target       string        // host:port the sockets go to (REALTIME_PORT or PORT)
	Path         string        // default /ws/realtime-sync (ws), /health/live (http)
	BaseURL      string        // ws: the HTTP API for logins, tokens and webhooks
	Seed         *Seed         // ws: the seeded organizations
	Orgs         int           // ws: organizations used; default every one of the seed
	BigOrgConns  int           // ws: sockets of organization 0; default min(10000, Conns)
	ConnsPerUser int           // ws: sockets sharing one user's token; default 1000
	Rate         float64       // connections per second, all processes; default 2000
	Dialers      int           // dialing goroutines per process; default 32
	Settle       time.Duration // pause between the ramp and the hold (sockets held, no events); default 10 s, < 0 none
	Hold         time.Duration // hold once every connection is up; default 1 min
	Grace        time.Duration // ws: wait after the last webhook for its deliveries; default 5 s
	EventsPerSec float64       // ws: webhooks per second during the hold; default 1
	PingEvery    time.Duration // ws: client heartbeat; default 30 s
	HTTPEvery    time.Duration // http: request period per connection; default 10 s
	Timeout      time.Duration // dial+handshake and HTTP answer; default 10 s
	RampTimeout  time.Duration // longest ramp; default 2 x Conns/Rate + 60 s
	ServerPID    int           // the server's primary (its children are measured); 0 = no memory figures
	Exe          string        // binary re-executed as children; default os.Executable()
	Progress     io.Writer     // live progress line; nil = none
}

func (c *Config) defaults() error {
	if c.Mode != ModeWS && c.Mode != ModeHTTP {
		return fmt.Errorf("cannot run mode %q: want ws or http", c.Mode)
	}
	if c.Name == "" {
		c.Name = c.Mode
	}
	if c.Procs == 0 {
		c.Procs = ProcsFor(c.Conns)
	}
	if len(c.Addrs) == 0 {
		c.Addrs = DefaultAddrs
	}
	if c.Path == "" {
		c.Path = map[string]string{ModeWS: "/ws/realtime-sync", ModeHTTP: "/health/live"}[c.Mode]
	}
	if c.ConnsPerUser == 0 {
		c.ConnsPerUser = 1000
	}
	if c.Rate <= 0 {
		c.Rate = 2000
	}
	if c.Dialers <= 0 {
		c.Dialers = 32
	}
	if c.Hold <= 0 {
		c.Hold = time.Minute
	}
	if c.Grace <= 0 {
		c.Grace = 5 * time.Second
	}
	if c.Settle == 0 {
		c.Settle = 10 * time.Second
	}
	if c.EventsPerSec <= 0 {
		c.EventsPerSec = 1
	}
	if c.PingEvery <= 0 {
		c.PingEvery = 30 * time.Second
	}
	if c.HTTPEvery <= 0 {
		c.HTTPEvery = 10 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.RampTimeout <= 0 {
		c.RampTimeout = 2*time.Duration(float64(c.Conns)/c.Rate*float64(time.Second)) + time.Minute
	}
	if c.Exe == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("cannot find own executable: %w", err)
		}
		c.Exe = exe
	}
	if c.Target == "" {
		return errors.New("cannot run without a target host:port")
	}
	if c.Mode == ModeWS {
		if c.Seed == nil || c.BaseURL == "" {
			return errors.New("cannot run ws mode without a seed and the API base URL")
		}
		if c.Orgs <= 0 || c.Orgs > len(c.Seed.Organizations) {
			c.Orgs = len(c.Seed.Organizations)
		}
		if c.BigOrgConns <= 0 {
			c.BigOrgConns = min(10000, c.Conns)
		}
		if c.Orgs == 1 {
			c.BigOrgConns = c.Conns
		}
	}
	return nil
}

// plan answers the connection plan of c.
func (c *Config) plan() Plan {
	p := Plan{Conns: c.Conns, Procs: c.Procs, Addrs: c.Addrs, ConnsPerUser: c.ConnsPerUser}
	if c.Mode == ModeWS {
		p.BigOrgConns = c.BigOrgConns
		for _, o := range c.Seed.Organizations[:c.Orgs] {
			p.Users = append(p.Users, len(o.Users))
		}
	}
	return p
}

// proc is one child process as the coordinator sees it.
type proc struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	inMu  sync.Mutex
	done  chan struct{}
	pid   int
	peak  int64 // VmHWM KiB, last read
	cpu   float64
	last  status
	final bool
}

func (p *proc) send(c command) error {
	p.inMu.Lock()
	defer p.inMu.Unlock()
	_, err := p.in.Write(encodeLine(c))
	return err
}

// coordinator runs the children and gathers their statuses.
type coordinator struct {
	cfg   *Config
	plan  Plan
	run   string
	start time.Time
	procs []*proc

	lastSample time.Time
	lastHist   *Histogram // at the last timeline sample
	lineHist   *Histogram // at the last progress line

	mu sync.Mutex // guards procs' last/final
}

// Run holds the connections of cfg, drives the events, and answers the
// report. An error means the run could not be made (not a missed goal).
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if _, err := RaiseFileLimit(); err != nil {
		return nil, err
	}
	co := &coordinator{cfg: &cfg, plan: cfg.plan(), run: randomRun(), start: time.Now()}
	if err := co.plan.Validate(); err != nil {
		return nil, err
	}
	r := &Report{Name: cfg.Name, Mode: cfg.Mode, Started: co.start, Target: cfg.Target, Conns: cfg.Conns,
		Procs: cfg.Procs, Addrs: cfg.Addrs, LoadAvg: []string{loadAvg()}}
	var tokens *tokenSource
	var hooks *webhookDriver
	if cfg.Mode == ModeWS {
		r.BigOrgConns, r.Orgs = cfg.BigOrgConns, cfg.Orgs
		tokens = newTokenSource(cfg.BaseURL, cfg.Seed, co.plan)
		r.Users = len(tokens.users)
		var err error
		if hooks, err = newWebhookDriver(cfg.BaseURL, co.run, cfg.Seed.Organizations[0]); err != nil {
			return nil, err
		}
	}
	// The baseline comes before the logins, which hash passwords
	// (argon2id, 19 MiB each): their garbage then counts against the
	// connections, a conservative figure.
	r.Server.PID = cfg.ServerPID
	before := map[int]int64{}
	for _, pid := range ServerProcs(cfg.ServerPID) {
		before[pid] = rss(pid)
		r.Server.RSSBeforeKB += before[pid]
		r.Server.CPUBefore += cpuSeconds(pid)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var toks map[string]string
	if tokens != nil {
		var err error
		co.progress("logging %d users in", len(tokens.users))
		if toks, err = tokens.refresh(ctx); err != nil {
			return nil, err
		}
	}
	if err := co.spawn(); err != nil {
		co.kill()
		return nil, err
	}
	defer co.kill()
	if toks != nil {
		co.broadcast(command{Tokens: toks})
		go co.refreshTokens(ctx, tokens)
	}
	// Ramp.
	rampDeadline := time.Now().Add(cfg.RampTimeout)
	sampleT := time.NewTicker(time.Second)
	defer sampleT.Stop()
	for {
		s := co.total()
		r.PeakHeld = max(r.PeakHeld, s.Held)
		co.sample(r, s, false)
		co.line(s, "ramp")
		if s.Held >= cfg.Conns || time.Now().After(rampDeadline) || co.allGone() {
			break
		}
		select {
		case <-sampleT.C:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	r.RampSeconds = time.Since(co.start).Seconds()
	r.LoadAvg = append(r.LoadAvg, loadAvg())
	// Settle: the server digests the ramp (handshakes, GC) before the
	// events are timed; drops still count.
	for settleEnd := time.Now().Add(max(cfg.Settle, 0)); time.Now().Before(settleEnd) && !co.allGone(); {
		select {
		case <-sampleT.C:
			s := co.total()
			r.PeakHeld = max(r.PeakHeld, s.Held)
			co.sample(r, s, false)
			co.line(s, "settle")
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	r.SettleSeconds = max(cfg.Settle, 0).Seconds()
	// Hold, with webhooks.
	holdStart := time.Now()
	holdEnd := holdStart.Add(cfg.Hold)
	var hookWG sync.WaitGroup
	var hookT <-chan time.Time
	if hooks != nil {
		t := time.NewTicker(time.Duration(float64(time.Second) / cfg.EventsPerSec))
		defer t.Stop()
		hookT = t.C
	}
	for time.Now().Before(holdEnd) && !co.allGone() {
		select {
		case <-hookT:
			hookWG.Add(1)
			go func() {
				defer hookWG.Done()
				hooks.send(ctx)
			}()
		case <-sampleT.C:
			s := co.total()
			r.PeakHeld = max(r.PeakHeld, s.Held)
			co.sample(r, s, false)
			co.line(s, "hold")
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	hookWG.Wait()
	if hooks != nil {
		time.Sleep(cfg.Grace) // let the last events arrive
	}
	r.HoldSeconds = time.Since(holdStart).Seconds()
	// Measure while still holding.
	s := co.total()
	r.HeldAtEnd = s.Held
	co.sample(r, s, true)
	for _, pid := range ServerProcs(cfg.ServerPID) {
		w := WorkerMemory{PID: pid, RSSBeforeKB: before[pid], RSSHoldKB: rss(pid), FDsHold: openFDs(pid)}
		r.Server.Workers = append(r.Server.Workers, w)
		r.Server.RSSHoldKB += w.RSSHoldKB
		r.Server.CPUSeconds += cpuSeconds(pid)
	}
	r.Server.CPUSeconds -= r.Server.CPUBefore
	if r.HeldAtEnd > 0 && cfg.ServerPID > 0 {
		r.Server.BytesPerConn = float64(r.Server.RSSHoldKB-r.Server.RSSBeforeKB) * 1024 / float64(r.HeldAtEnd)
	}
	for _, p := range co.procs {
		p.cpu = cpuSeconds(p.pid)
		p.peak = peakRSS(p.pid)
	}
	r.LoadAvg = append(r.LoadAvg, loadAvg())
	// Stop: every child closes its sockets and reports the events missed.
	var expected uint32
	if hooks != nil {
		hooks.mu.Lock()
		r.WebhooksSent, r.WebhooksOK, r.WebhookErrors = hooks.sent, hooks.ok, copyMap(hooks.errs)
		expected = uint32(hooks.ok)
		hooks.mu.Unlock()
	}
	co.broadcast(command{Stop: true, Expected: expected})
	co.waitFinal(30 * time.Second)
	co.fill(r, expected)
	var self syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	r.Generator.Procs = len(co.procs)
	r.Generator.CPUSeconds = tv(self.Utime) + tv(self.Stime)
	r.Generator.RSSPeakKB = self.Maxrss
	for _, p := range co.procs {
		r.Generator.CPUSeconds += p.cpu
		r.Generator.RSSPeakKB += p.peak
	}
	if el := time.Since(co.start).Seconds(); el > 0 {
		r.Generator.CPUPercent = 100 * r.Generator.CPUSeconds / el
	}
	if r.PeakHeld > 0 {
		r.Generator.BytesPerConn = float64(r.Generator.RSSPeakKB) * 1024 / float64(r.PeakHeld)
	}
	r.evaluate()
	return r, nil
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

func randomRun() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// spawn starts the children.
func (co *coordinator) spawn() error {
	for i := range co.cfg.Procs {
		cc := childConfig{Proc: i, Mode: co.cfg.Mode, Plan: co.plan, Target: co.cfg.Target, Path: co.cfg.Path,
			Rate: co.cfg.Rate / float64(co.cfg.Procs), Dialers: co.cfg.Dialers, Run: co.run,
			PingEvery: co.cfg.PingEvery, HTTPEvery: co.cfg.HTTPEvery, Timeout: co.cfg.Timeout}
		b, _ := json.Marshal(cc)
		cmd := exec.Command(co.cfg.Exe)
		cmd.Env = append(os.Environ(), envChild+"="+string(b))
		cmd.Stderr = os.Stderr
		in, err := cmd.StdinPipe()
		if err != nil {
			return fmt.Errorf("cannot start child: %w", err)
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			return fmt.Errorf("cannot start child: %w", err)
		}
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("cannot start child %d: %w", i, err)
		}
		p := &proc{cmd: cmd, in: in, done: make(chan struct{}), pid: cmd.Process.Pid}
		co.procs = append(co.procs, p)
		go co.read(p, out)
	}
	return nil
}

// read consumes a child's status lines until it exits.
func (co *coordinator) read(p *proc, out io.Reader) {
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var s status
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			continue
		}
		co.mu.Lock()
		p.last = s
		p.final = p.final || s.Final
		co.mu.Unlock()
	}
	_ = p.cmd.Wait()
	close(p.done)
}

// broadcast sends c to every child.
func (co *coordinator) broadcast(c command) {
	for _, p := range co.procs {
		_ = p.send(c)
	}
}

// refreshTokens renews the tokens for connections opened later.
func (co *coordinator) refreshTokens(ctx context.Context, ts *tokenSource) {
	for {
		select {
		case <-time.After(ts.refreshEvery()):
		case <-ctx.Done():
			return
		}
		toks, err := ts.refresh(ctx)
		if err != nil {
			co.progress("token refresh failed: %v", err)
			continue
		}
		co.broadcast(command{Tokens: toks})
	}
}

// total merges the children's last statuses.
func (co *coordinator) total() status {
	co.mu.Lock()
	defer co.mu.Unlock()
	t := status{Drops: map[string]int{}, Handshake: map[string]int{}, HTTPErrors: map[string]int{},
		Received: map[string]int{}, PerSeq: map[string]int{}, Latency: &Histogram{}}
	for _, p := range co.procs {
		s := p.last
		t.Held += s.Held
		t.Opened += s.Opened
		t.DialErrors += s.DialErrors
		t.Events += s.Events
		t.Dups += s.Dups
		t.Requests += s.Requests
		t.PingsSent += s.PingsSent
		t.Missing += s.Missing
		t.ConnsShort += s.ConnsShort
		t.BigConns += s.BigConns
		addMap(t.Drops, s.Drops)
		addMap(t.Handshake, s.Handshake)
		addMap(t.HTTPErrors, s.HTTPErrors)
		addMap(t.Received, s.Received)
		addMap(t.PerSeq, s.PerSeq)
		t.Latency.Merge(s.Latency)
		if s.Error != "" {
			t.Error = s.Error
		}
	}
	return t
}

func addMap(dst, src map[string]int) {
	for k, v := range src {
		dst[k] += v
	}
}

func sumMap(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// sample appends a timeline point every 5 s, or now when force.
func (co *coordinator) sample(r *Report, s status, force bool) {
	if !force && len(r.Timeline) > 0 && time.Since(co.lastSample) < 5*time.Second {
		return
	}
	co.lastSample = time.Now()
	iv := s.Latency.Since(co.lastHist)
	co.lastHist = s.Latency
	sm := Sample{T: time.Since(co.start).Seconds(), Held: s.Held, Drops: sumMap(s.Drops), Events: s.Events, Requests: s.Requests,
		P99Ms: msOf(iv.Quantile(0.99)), MaxMs: msOf(float64(iv.Max()))}
	for _, pid := range ServerProcs(co.cfg.ServerPID) {
		sm.ServerRSSKB += rss(pid)
	}
	r.Timeline = append(r.Timeline, sm)
}

// line prints the live progress line.
func (co *coordinator) line(s status, phase string) {
	if co.cfg.Progress == nil {
		return
	}
	iv := s.Latency.Since(co.lineHist)
	co.lineHist = s.Latency
	extra := ""
	if co.cfg.Mode == ModeWS {
		extra = fmt.Sprintf(" events %d p99 %.1fms (last second %.1fms)", s.Events, msOf(s.Latency.Quantile(0.99)), msOf(iv.Quantile(0.99)))
	} else {
		extra = fmt.Sprintf(" requests %d errors %d p99 %.1fms (last second %.1fms)", s.Requests, sumMap(s.HTTPErrors),
			msOf(s.Latency.Quantile(0.99)), msOf(iv.Quantile(0.99)))
	}
	fmt.Fprintf(co.cfg.Progress, "[%5.0fs %s] held %d/%d drops %d dialErrors %d%s\n", time.Since(co.start).Seconds(), phase,
		s.Held, co.cfg.Conns, sumMap(s.Drops), s.DialErrors, extra)
}

func (co *coordinator) progress(format string, args ...any) {
	if co.cfg.Progress != nil {
		fmt.Fprintf(co.cfg.Progress, "wsload: "+format+"\n", args...)
	}
}

// allGone reports whether every child exited.
func (co *coordinator) allGone() bool {
	for _, p := range co.procs {
		select {
		case <-p.done:
		default:
			return false
		}
	}
	return true
}

// waitFinal waits for every child's final status and exit.
func (co *coordinator) waitFinal(d time.Duration) {
	deadline := time.After(d)
	for _, p := range co.procs {
		select {
		case <-p.done:
		case <-deadline:
			return
		}
	}
}

// kill ends the children that are left (after waitFinal, none).
func (co *coordinator) kill() {
	for _, p := range co.procs {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
}

// fill copies the final merged counters into r.
func (co *coordinator) fill(r *Report, expected uint32) {
	s := co.total()
	r.Drops = s.Drops
	r.UnexpectedDrops = sumMap(s.Drops)
	r.DialErrors = s.DialErrors
	r.Handshake = s.Handshake
	r.Latency = summarize(s.Latency)
	r.Requests = s.Requests
	if len(s.HTTPErrors) > 0 {
		r.HTTPErrors = s.HTTPErrors
	}
	if r.Mode == ModeWS {
		r.EventsReceived, r.Dups = s.Events, s.Dups
		r.Missing, r.ConnsShort, r.BigConns, r.Received = s.Missing, s.ConnsShort, s.BigConns, s.Received
		r.EventsExpected = uint64(expected) * uint64(s.BigConns)
		for seq := 1; seq <= int(expected); seq++ {
			if got := s.PerSeq[strconv.Itoa(seq)]; got < s.BigConns && len(r.Shortfalls) < 50 {
				r.Shortfalls = append(r.Shortfalls, Shortfall{Seq: seq, Received: got, Want: s.BigConns})
			}
		}
	}
	co.mu.Lock()
	for _, p := range co.procs {
		if !p.final {
			r.Drops["child exited without a final report"]++
			r.UnexpectedDrops++
		}
	}
	co.mu.Unlock()
	if len(r.Handshake) == 0 {
		r.Handshake = nil
	}
	if s.Error != "" {
		r.Drops["child error: "+s.Error]++
		r.UnexpectedDrops++
	}
	if len(r.Drops) == 0 {
		r.Drops = nil
	}
}
