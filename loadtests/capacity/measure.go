package capacity

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/echosenseix/echosenseix/internal/proc"
	"github.com/echosenseix/echosenseix/internal/rawhttp"
	"github.com/echosenseix/echosenseix/internal/seed"
	"github.com/echosenseix/echosenseix/loadtests/loadgen"
)

// Target is the running server a measurement drives.
type Target struct {
	BaseURL, WSURL string
	ServerPID      int
	Seed           seed.File
	// RedisAddr, when set, is read (INFO stats) for the Redis commands of
	// each window; RedisPassword authenticates.
	RedisAddr, RedisPassword string
	// PprofURL, when set (http://host:port of PPROF_ADDR), is asked for a
	// CPU profile over the webhook, page and frame windows.
	PprofURL string
}

// Options bound the measurement.
type Options struct {
	Window     time.Duration // each request phase (default 4 s)
	IdleWindow time.Duration // idle sockets (default 31 s: one heartbeat round)
	Sockets    int           // sockets of the socket and frame phases (default 1,000)
	// Page requests and webhooks are sent open-loop at PageRate and
	// WebhookRate per second over Conns connections (as the tiers send
	// them: many connections, each mostly idle), not back to back.
	Conns       int     // default 128
	PageRate    float64 // default 2,000
	WebhookRate float64 // default 200
	FrameRate   float64 // webhooks/s of the frame phase (default 10)
	// StraceDir, when set, runs strace -c on the server over a short
	// frame window and a webhook window and keeps its summaries there.
	StraceDir string
	Log       io.Writer
}

func (o *Options) defaults() {
	if o.Window <= 0 {
		o.Window = 4 * time.Second
	}
	if o.IdleWindow <= 0 {
		o.IdleWindow = 31 * time.Second
	}
	if o.Sockets <= 0 {
		o.Sockets = 1000
	}
	if o.Conns <= 0 {
		o.Conns = 128
	}
	if o.PageRate <= 0 {
		o.PageRate = 2000
	}
	if o.WebhookRate <= 0 {
		o.WebhookRate = 200
	}
	if o.FrameRate <= 0 {
		o.FrameRate = 10
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

// meter reads the CPU of the server tree and of this process (the
// generator) and Redis' command count.
type meter struct {
	t       Target
	fs      proc.FS
	base    float64 // idle server cores
	lastErr string  // a failure kind of the last load
}

type reading struct {
	at          time.Time
	server, gen float64 // CPU seconds
	redis       float64
}

// profile fetches a CPU profile of the server over d into dir/name.pprof
// (in the background; wait for it with the returned func).
func (m *meter) profile(dir, name string, d time.Duration) (wait func()) {
	if m.t.PprofURL == "" || dir == "" {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c := http.Client{Timeout: d + 10*time.Second}
		resp, err := c.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", m.t.PprofURL, max(1, int(d.Seconds()))))
		if err != nil {
			return
		}
		defer resp.Body.Close()
		if f, err := os.Create(filepath.Join(dir, name+".pprof")); err == nil {
			_, _ = io.Copy(f, resp.Body)
			f.Close()
		}
	}()
	return func() { <-done }
}

// serverRSS answers the server's resident memory after a garbage
// collection (asked through pprof's heap?gc=1 when the server serves it)
// and a moment for the scavenger.
func (m *meter) serverRSS() float64 {
	if m.t.PprofURL != "" {
		c := http.Client{Timeout: 10 * time.Second}
		if resp, err := c.Get(m.t.PprofURL + "/debug/pprof/heap?gc=1"); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		time.Sleep(time.Second)
	}
	mem, err := m.fs.Memory(m.t.ServerPID)
	if err != nil {
		return 0
	}
	return float64(mem.RSS)
}

func (m *meter) read() reading {
	r := reading{at: time.Now(), gen: proc.SelfCPU().Seconds()}
	if d, err := m.fs.TreeCPU(m.t.ServerPID); err == nil {
		r.server = d.Seconds()
	}
	r.redis = float64(redisCommands(m.t.RedisAddr, m.t.RedisPassword))
	return r
}

// delta is what a window cost, the idle server's CPU subtracted.
type delta struct{ secs, server, gen, redis float64 }

func (m *meter) since(r0 reading) delta {
	r1 := m.read()
	d := delta{secs: r1.at.Sub(r0.at).Seconds(), gen: r1.gen - r0.gen, redis: r1.redis - r0.redis}
	d.server = r1.server - r0.server - m.base*d.secs
	return d
}

// Measure runs every phase against t, one at a time, and answers the model.
func Measure(ctx context.Context, t Target, o Options) (Model, error) {
	o.defaults()
	fs, err := proc.Default()
	if err != nil {
		return Model{}, err
	}
	m := &meter{t: t, fs: fs}
	model := Model{Started: time.Now().UTC().Format(time.RFC3339), Instructions: instructionsNote()}
	target, _, err := rawhttp.ParseTarget(t.BaseURL)
	if err != nil {
		return Model{}, err
	}
	if len(t.Seed.Organizations) < 2 {
		return Model{}, fmt.Errorf("the seed needs 2 organizations, has %d", len(t.Seed.Organizations))
	}
	logf := func(format string, args ...any) { fmt.Fprintf(o.Log, "capacity: "+format+"\n", args...) }

	// Idle server: the baseline every window subtracts.
	logf("idle baseline (%s)", o.Window)
	r0 := m.read()
	if !sleep(ctx, o.Window) {
		return model, ctx.Err()
	}
	d := m.since(r0)
	m.base = d.server / d.secs
	model.BaselineServerCores = m.base
	idleRedis := d.redis / d.secs
	unit := func(name string, n float64, errs int64, d delta, note string) Unit {
		if errs > 0 && m.lastErr != "" {
			note += " (failures: " + m.lastErr + ")"
			m.lastErr = ""
		}
		return Unit{Name: name, Count: n, Seconds: d.secs, ServerCPU: d.server, GeneratorCPU: d.gen,
			RedisOps: max(0, d.redis-idleRedis*d.secs), Errors: errs, Note: note}
	}

	// Logins: one per user in turn (each one a new session).
	var users []seed.User
	for _, org := range t.Seed.Organizations {
		users = append(users, org.Users...)
	}
	logf("logins (%s, 2 connections)", o.Window)
	var seq atomic.Int64
	n, errs, d := m.drive(ctx, func(ctx context.Context) (*loadgen.Result, error) {
		return loadgen.RunFixed(ctx, loadgen.FixedConfig{URL: t.BaseURL + "/api/login", Method: http.MethodPost,
			Header: http.Header{"Content-Type": {"application/json"}}, Conns: 2, Duration: o.Window,
			BodyFunc: func(int, uint64) ([]byte, http.Header) {
				return loginBody(users[int(seq.Add(1))%len(users)]), nil
			}})
	})
	model.Units = append(model.Units, unit(UnitLogin, float64(n), errs, d, "POST /api/login closed loop, argon2 included"))

	// A session per organization for the pages and sockets.
	cookies := make([]string, len(t.Seed.Organizations))
	for i, org := range t.Seed.Organizations {
		c, err := loginCookie(ctx, target, org.Users[0])
		if err != nil {
			return model, err
		}
		cookies[i] = c
	}
	hdr0 := http.Header{"Cookie": {cookies[0]}}
	for _, path := range defaultPages() {
		logf("page %s (%g/s over %d connections, %s)", path, o.PageRate, o.Conns, o.Window)
		wait := m.profile(o.StraceDir, "page-"+strings.Trim(strings.ReplaceAll(PageUnit(path)[len(PagePrefix):], "/", "-"), "-"), o.Window)
		n, errs, d := m.drive(ctx, func(ctx context.Context) (*loadgen.Result, error) {
			return loadgen.RunRate(ctx, loadgen.RateConfig{URL: t.BaseURL + path, Header: hdr0, Rate: o.PageRate, Conns: o.Conns, Duration: o.Window})
		})
		wait()
		model.Units = append(model.Units, unit(PageUnit(path), float64(n), errs, d,
			fmt.Sprintf("open loop %g/s over %d connections, one session, no webhooks: cached reads", o.PageRate, o.Conns)))
	}

	// Webhooks to the second organization (no socket is open).
	org1 := t.Seed.Organizations[1]
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	webhook := func(org seed.Org, i uint64) ([]byte, http.Header) {
		a := org.Agents[int(i)%len(org.Agents)]
		return loadgen.SignedWebhook(org.WebhookSecret, a.ExternalAgentID, fmt.Sprintf("cap-%s-%d", run, i), time.Now().Unix())
	}
	whConns := max(1, o.Conns/8)
	logf("webhooks (%g/s over %d connections, %s)", o.WebhookRate, whConns, o.Window)
	wait := m.profile(o.StraceDir, "webhook", o.Window)
	n, errs, d = m.drive(ctx, webhooks(t.BaseURL, o.WebhookRate, whConns, o.Window, func(i uint64) ([]byte, http.Header) { return webhook(org1, i) }))
	wait()
	wh := unit(UnitWebhook, float64(n), errs, d, fmt.Sprintf("open loop %g/s over %d connections, group commit, no socket of the organization open", o.WebhookRate, whConns))
	model.Units = append(model.Units, wh)

	// Socket connects, then the same sockets idle, then frames to them.
	logf("socket connects (%d sockets)", o.Sockets)
	org0 := t.Seed.Organizations[0]
	var frames atomic.Int64
	onMessage := func(msg []byte) {
		if loadgen.IsCallCompleted(msg) {
			frames.Add(1)
		}
	}
	// The idle server again, now warm: the socket phases' baseline.
	r0 = m.read()
	if !sleep(ctx, o.Window) {
		return model, ctx.Err()
	}
	d = m.since(r0)
	m.base += d.server / d.secs
	model.ServerBaseRSS = m.serverRSS()
	genRSS0 := selfRSS()
	r0 = m.read()
	socks, cerrs := dialAll(ctx, t.WSURL, hdr0, o.Sockets, 16, onMessage)
	defer func() {
		for _, s := range socks {
			_ = s.Close()
		}
	}()
	d = m.since(r0)
	model.Units = append(model.Units, unit(UnitConnect, float64(len(socks)), cerrs, d, "handshake + session check + join, 16 dialling at once"))
	if len(socks) == 0 {
		return model, fmt.Errorf("no socket opened")
	}
	logf("idle sockets (%d for %s)", len(socks), o.IdleWindow)
	r0 = m.read()
	if !sleep(ctx, o.IdleWindow) {
		return model, ctx.Err()
	}
	d = m.since(r0)
	model.Units = append(model.Units, unit(UnitSocketSecond, float64(len(socks))*d.secs, 0, d, "open sockets, nothing sent; heartbeats included (the window covers one ping interval)"))
	// Negative growth (the collector returned more than the sockets took)
	// is recorded as 0: the report then shows "not measured".
	model.ServerRSSPerSocket = max(0, (m.serverRSS()-model.ServerBaseRSS)/float64(len(socks)))
	model.GeneratorRSSPerSocket = max(0, (selfRSS()-genRSS0)/float64(len(socks)))
	idle := model.Unit(UnitSocketSecond)

	logf("frames (%g webhooks/s to an organization of %d sockets, %s)", o.FrameRate, len(socks), o.Window)
	fr, err := framePhase(ctx, m, o, func(i uint64) ([]byte, http.Header) { return webhook(org0, i) }, &frames, wh, idle, float64(len(socks)))
	if err != nil {
		return model, err
	}
	if o.StraceDir != "" {
		if k, err := straceFrames(ctx, m, o, func(i uint64) ([]byte, http.Header) { return webhook(org0, i+1<<40) }, func(i uint64) ([]byte, http.Header) { return webhook(org1, i+1<<41) }, &frames); err != nil {
			logf("strace: %v", err)
		} else {
			fr.SyscallsPerUnit = k
		}
	}
	model.Units = append(model.Units, fr)
	return model, nil
}

// framePhase sends webhooks at o.FrameRate to the sockets' organization and
// counts the call_completed frames they receive; the webhooks' and the idle
// sockets' own costs are subtracted.
func framePhase(ctx context.Context, m *meter, o Options, req func(uint64) ([]byte, http.Header),
	frames *atomic.Int64, wh, idle Unit, sockets float64) (Unit, error) {
	f0 := frames.Load()
	wait := m.profile(o.StraceDir, "frame", o.Window)
	r0 := m.read()
	ok, errs, _ := m.drive(ctx, webhooks(m.t.BaseURL, o.FrameRate, 4, o.Window, req))
	sent := ok + errs
	wait()
	// Let the last fan-out land (bounded).
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) && float64(frames.Load()-f0) < float64(sent-errs)*sockets {
		time.Sleep(20 * time.Millisecond)
	}
	d := m.since(r0)
	got := float64(frames.Load() - f0)
	whN := float64(sent - errs)
	d.server -= whN*wh.ServerCPU/max(wh.Count, 1) + idle.ServerCPU/max(idle.Count, 1)*sockets*d.secs
	d.gen -= whN*wh.GeneratorCPU/max(wh.Count, 1) + idle.GeneratorCPU/max(idle.Count, 1)*sockets*d.secs
	u := Unit{Name: UnitFrame, Count: got, Seconds: d.secs, ServerCPU: d.server, GeneratorCPU: d.gen, Errors: errs,
		Note: fmt.Sprintf("%d webhooks to an organization of %.0f sockets, %.0f frames delivered; the webhooks' and idle sockets' costs subtracted", sent, sockets, got)}
	if exp := whN * sockets; exp > 0 && got < 0.99*exp {
		u.Note += fmt.Sprintf("; %.1f%% of the expected frames arrived in time", 100*got/exp)
	}
	return u, nil
}

// straceFrames counts the server's write system calls over a window of
// frames and over a window of webhooks alone, and answers the write
// calls per delivered frame net of the webhooks' own.
func straceFrames(ctx context.Context, m *meter, o Options, toSockets, toNobody func(uint64) ([]byte, http.Header), frames *atomic.Int64) (float64, error) {
	if _, err := exec.LookPath("strace"); err != nil {
		return 0, err
	}
	window := min(o.Window, 3*time.Second)
	count := func(name string, req func(uint64) ([]byte, http.Header)) (calls float64, sent, got int64, err error) {
		out := filepath.Join(o.StraceDir, "strace-"+name+".txt")
		cmd := exec.CommandContext(ctx, "strace", "-c", "-f", "-qq", "-o", out, "-e", "trace=write,writev,sendmsg,sendto,sendmmsg", "-p", strconv.Itoa(m.t.ServerPID))
		if err := cmd.Start(); err != nil {
			return 0, 0, 0, err
		}
		time.Sleep(500 * time.Millisecond) // attached to every thread
		f0 := frames.Load()
		ok, _, _ := m.drive(ctx, webhooks(m.t.BaseURL, o.FrameRate, 4, window, req))
		time.Sleep(500 * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGINT)
		_ = cmd.Wait()
		calls, err = straceCalls(out)
		return calls, ok, frames.Load() - f0, err
	}
	cf, sentF, got, err := count("frames", toSockets)
	if err != nil {
		return 0, err
	}
	cw, sentW, _, err := count("webhooks", toNobody)
	if err != nil {
		return 0, err
	}
	if got == 0 {
		return 0, fmt.Errorf("no frame arrived under strace")
	}
	perWebhook := cw / float64(max(sentW, 1))
	return (cf - perWebhook*float64(sentF)) / float64(got), nil
}

var straceTotal = regexp.MustCompile(`^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?total\s*$`)

// straceCalls reads the call total of an strace -c summary.
func straceCalls(path string) (float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var calls float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if mm := straceTotal.FindStringSubmatch(sc.Text()); mm != nil {
			calls, _ = strconv.ParseFloat(mm[1], 64)
			return calls, nil
		}
	}
	return 0, fmt.Errorf("%s: no total line", path)
}

// drive runs one load of the load generator (loadgen.RunRate or
// RunFixed) and answers its successful requests, its failures and the
// window's cost; a failure kind is kept for the unit's note.
func (m *meter) drive(ctx context.Context, run func(ctx context.Context) (*loadgen.Result, error)) (ok, errs int64, d delta) {
	r0 := m.read()
	res, _ := run(ctx)
	d = m.since(r0)
	if res == nil {
		return 0, 0, d
	}
	for k := range res.ErrorKinds {
		m.lastErr = k
		break
	}
	return res.Requests - res.Errors, res.Errors, d
}

// webhooks is an open-loop load of signed post-call webhooks.
func webhooks(base string, rate float64, conns int, d time.Duration, body func(uint64) ([]byte, http.Header)) func(context.Context) (*loadgen.Result, error) {
	return func(ctx context.Context) (*loadgen.Result, error) {
		return loadgen.RunRate(ctx, loadgen.RateConfig{URL: base + "/api/webhooks/post-call", Method: http.MethodPost,
			Rate: rate, Conns: conns, Duration: d, BodyFunc: body})
	}
}

// loginBody is u's POST /api/login body.
func loginBody(u seed.User) []byte {
	body, _ := json.Marshal(map[string]string{"email": u.Email, "password": u.Password})
	return body
}

// loginCookie logs u in and answers "sid=...".
func loginCookie(ctx context.Context, target rawhttp.Target, u seed.User) (string, error) {
	req := rawhttp.BuildRequest(http.MethodPost, target, "/api/login", http.Header{"Content-Type": {"application/json"}}, loginBody(u))
	c := rawhttp.NewConn(target, 10*time.Second)
	defer c.Close()
	for attempt := 0; attempt < 5; attempt++ {
		resp, err := c.Do(ctx, req, true)
		if err == nil && resp.Status/100 == 2 {
			if ck := loadgen.SessionCookie(resp.Cookies); ck != "" {
				return ck, nil
			}
		}
		if !sleep(ctx, time.Second) {
			break
		}
	}
	return "", fmt.Errorf("cannot log %s in", u.Email)
}

// dialAll opens n sockets, conc at once, and answers them and the failures.
func dialAll(ctx context.Context, url string, hdr http.Header, n, conc int, onMessage func([]byte)) ([]loadgen.Socket, int64) {
	var mu sync.Mutex
	var out []loadgen.Socket
	var bad atomic.Int64
	var next atomic.Int64
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) && ctx.Err() == nil {
				s, err := loadgen.DialSocket(ctx, url, hdr, "", onMessage, nil)
				if err != nil {
					bad.Add(1)
					continue
				}
				mu.Lock()
				out = append(out, s)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out, bad.Load()
}

// sleep waits d or the end of ctx; false when ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	return loadgen.SleepUntil(ctx, time.Now().Add(d))
}

// selfRSS is this process's resident memory in bytes.
func selfRSS() float64 {
	fs, err := proc.Default()
	if err != nil {
		return 0
	}
	mem, err := fs.Memory(os.Getpid())
	if err != nil {
		return 0
	}
	return float64(mem.RSS)
}

// redisCommands answers INFO stats' total_commands_processed (0 when addr
// is empty or unreachable).
func redisCommands(addr, password string) int64 {
	if addr == "" {
		return 0
	}
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return 0
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	br := bufio.NewReader(c)
	if password != "" {
		fmt.Fprintf(c, "*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n", len(password), password)
		if l, _ := br.ReadString('\n'); !strings.HasPrefix(l, "+") {
			return 0
		}
	}
	fmt.Fprint(c, "*2\r\n$4\r\nINFO\r\n$5\r\nstats\r\n")
	head, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(head, "$") {
		return 0
	}
	size, _ := strconv.Atoi(strings.TrimSpace(head[1:]))
	body := make([]byte, size)
	if _, err := io.ReadFull(br, body); err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(body), "\r\n") {
		if v, ok := strings.CutPrefix(line, "total_commands_processed:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

// instructionsNote says whether perf counts instructions on this machine.
func instructionsNote() string {
	out, err := exec.Command("perf", "stat", "-x,", "-e", "instructions", "true").CombinedOutput()
	if err != nil {
		return "perf is not usable here: " + strings.TrimSpace(firstLine(string(out)+err.Error()))
	}
	if strings.Contains(string(out), "not supported") {
		return "perf stat -e instructions: <not supported> on this machine (no PMU in the VM): CPU seconds only"
	}
	return "perf counts instructions here (not yet recorded per unit)"
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }
