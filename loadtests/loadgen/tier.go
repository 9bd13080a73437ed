package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/echosenseix/echosenseix/loadtests/tiers"
	"github.com/echosenseix/echosenseix/server"
)

// TierConfig is one process's share of a tier run.
type TierConfig struct {
	Tier tiers.Tier `json:"tier"`
	// BaseURL is the server, e.g. http://127.0.0.1:5000.
	BaseURL string `json:"baseUrl"`
	// WSURL is the realtime socket URL (default ws://<BaseURL host>/ws/realtime-sync).
	WSURL string `json:"wsUrl,omitempty"`
	Seed  Seed   `json:"seed"`
	// Start is the common time zero of every process (default now).
	Start time.Time `json:"start"`
	// Process is this process's index among Processes (default 0 of 1):
	// it runs users u with u mod Processes == Process.
	Process   int `json:"process"`
	Processes int `json:"processes"`
	// LocalAddrs are source IPs for this process's connections.
	LocalAddrs []string `json:"localAddrs,omitempty"`
	// RunID makes conversation ids unique across runs.
	RunID string `json:"runId"`
	// ServerPID, when > 0, has its process tree's CPU time measured.
	ServerPID int `json:"serverPid,omitempty"`

	// Progress receives the live line (nil: none). Dialer opens sockets
	// (default DialSocket). OnSecond, when set, is called once per second
	// with the running totals (workers report them to the coordinator).
	Progress io.Writer         `json:"-"`
	Dialer   SocketDialer      `json:"-"`
	OnSecond func(ProgressMsg) `json:"-"`
	// Metrics, when set, counts every request for the live /metrics
	// (RunConfig serves it); ServeMetrics makes a worker process serve its
	// own on a loopback port and report the address to the coordinator.
	Metrics      *Metrics `json:"-"`
	ServeMetrics bool     `json:"serveMetrics,omitempty"`
}

// ProgressMsg is a worker's running totals, sent once per second.
type ProgressMsg struct {
	Requests int64   `json:"requests"`
	Errors   int64   `json:"errors"`
	Users    int64   `json:"users"`
	Sockets  int64   `json:"sockets"`
	Conns    int64   `json:"conns"`
	P99Ms    float64 `json:"p99Ms"`
}

// tierRun is the state of one process's share.
type tierRun struct {
	cfg      TierConfig
	col      *Collector
	target   Target
	wsURL    string
	pages    *pool
	logins   *pool // logins' own connections: see loginConns
	sessions []*session
	sockets  SocketStats // updated atomically
	sockRec  *lockedShard
	end      time.Time
}

type session struct {
	user  SeedUser
	once  sync.Once
	ready chan struct{}
	ok    bool
	pages [][]byte // one pre-built request per page path
	hdr   http.Header
}

// RunTier runs this process's share of a tier until Start + ramp + hold and
// returns its measurements (warm-up = the ramp: judged totals cover the
// hold; the timeseries covers both).
func RunTier(ctx context.Context, cfg TierConfig) (*Result, error) {
	tr, err := newTierRun(cfg)
	if err != nil {
		return nil, err
	}
	return tr.run(ctx), nil
}

func newTierRun(cfg TierConfig) (*tierRun, error) {
	if cfg.Processes <= 0 {
		cfg.Processes = 1
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Now()
	}
	if cfg.Dialer == nil {
		cfg.Dialer = DialSocket
	}
	if cfg.RunID == "" {
		cfg.RunID = fmt.Sprintf("lg%x", time.Now().UnixNano())
	}
	t, _, err := ParseTarget(strings.TrimRight(cfg.BaseURL, "/") + "/")
	if err != nil {
		return nil, err
	}
	logins := cfg.Seed.Logins()
	if len(logins) == 0 {
		return nil, fmt.Errorf("cannot run tier %s: seed has no users", cfg.Tier.Name)
	}
	r := &tierRun{cfg: cfg, target: t, wsURL: cfg.WSURL}
	if r.wsURL == "" {
		r.wsURL = "ws://" + t.Host + "/ws/realtime-sync"
	}
	r.end = cfg.Start.Add(cfg.Tier.Duration())
	r.col = NewCollector(cfg.Start, cfg.Tier.Ramp())
	r.col.SetMetrics(cfg.Metrics)
	r.sockRec = &lockedShard{sh: r.col.Shard()}
	for s := cfg.Process; s < cfg.Tier.Sessions; s += cfg.Processes {
		r.sessions = append(r.sessions, &session{user: logins[s%len(logins)], ready: make(chan struct{})})
	}
	if len(r.sessions) == 0 {
		r.sessions = append(r.sessions, &session{user: logins[cfg.Process%len(logins)], ready: make(chan struct{})})
	}
	return r, nil
}

// share returns n split over the processes: this process's part (>= 1).
func (r *tierRun) share(n int) int {
	k := r.cfg.Processes
	s := n / k
	if r.cfg.Process < n%k {
		s++
	}
	return max(s, 1)
}

func (r *tierRun) run(ctx context.Context) *Result {
	t := r.cfg.Tier
	runCtx, cancel := context.WithDeadline(ctx, r.end)
	defer cancel()
	cpu0, srv0 := SelfCPUSeconds(), ProcessTreeCPUSeconds(r.cfg.ServerPID)
	queue := max(4*t.Users/r.cfg.Processes, 1024)
	r.pages = startPool(runCtx, r.col, r.target, r.cfg.LocalAddrs, r.share(t.HTTPConns), t.RequestTimeout(), queue)
	r.logins = startPool(runCtx, r.col, r.target, r.cfg.LocalAddrs, loginConns(r.share(t.HTTPConns)), t.RequestTimeout(), queue)
	stop := startTicker(runCtx, r.col, r.cfg.Progress, func() string { return "tier " + t.Name })
	stopReport := r.reportEverySecond(runCtx)
	var wg sync.WaitGroup
	if t.WebhooksPerSecond > 0 {
		wg.Add(1)
		go func() { defer wg.Done(); r.webhooks(runCtx) }()
	}
	var open []Socket
	var openMu sync.Mutex
	for u := r.cfg.Process; u < t.Users; u += r.cfg.Processes {
		wg.Add(1)
		go func(u int) {
			defer wg.Done()
			if s := r.user(runCtx, u); s != nil {
				openMu.Lock()
				open = append(open, s)
				openMu.Unlock()
			}
		}(u)
	}
	wg.Wait()
	r.pages.wait(r.col, t.RequestTimeout())
	r.logins.wait(r.col, t.RequestTimeout())
	atomic.StoreInt64(&r.sockets.OpenAtEnd, r.col.Sockets.Load())
	r.col.Sample(time.Now())
	stopReport()
	stop()
	for _, s := range open {
		_ = s.Close()
	}
	res := r.col.Result("tier "+t.Name, time.Duration(t.HoldSeconds*float64(time.Second)))
	res.Tier = t
	res.Sockets = r.sockets
	res.GeneratorCPUSeconds = SelfCPUSeconds() - cpu0
	if r.cfg.ServerPID > 0 {
		res.ServerCPUSeconds = ProcessTreeCPUSeconds(r.cfg.ServerPID) - srv0
	}
	return res
}

// reportEverySecond feeds cfg.OnSecond.
func (r *tierRun) reportEverySecond(ctx context.Context) (stop func()) {
	if r.cfg.OnSecond == nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		tk := time.NewTicker(time.Second)
		defer tk.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-tk.C:
				reqs, errs := r.col.Totals()
				sec := int(now.Sub(r.col.start)/time.Second) - 1
				r.cfg.OnSecond(ProgressMsg{Requests: reqs, Errors: errs, Users: r.col.Users.Load(),
					Sockets: r.col.Sockets.Load(), Conns: r.col.Conns.Load(), P99Ms: r.col.SecondP99(sec) / 1000})
			}
		}
	}()
	return func() { <-done }
}

// SleepUntil waits for t or the end of ctx; false when ctx ended.
func SleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-tm.C:
		return true
	}
}

// user is one concurrent user: start on the ramp, log in (or share a
// session), open the socket, then a page load every think time. It returns
// the socket still open at the end.
func (r *tierRun) user(ctx context.Context, u int) Socket {
	t := r.cfg.Tier
	startAt := r.cfg.Start.Add(time.Duration(float64(t.Ramp()) * float64(u) / float64(t.Users)))
	if !SleepUntil(ctx, startAt) {
		return nil
	}
	s := r.sessions[r.sessionOf(u)]
	if !r.login(ctx, s, startAt) {
		return nil
	}
	r.col.Users.Add(1)
	var sock Socket
	if t.Realtime {
		sock = r.openSocket(ctx, s)
	}
	first := time.Now()
	for k := 0; ; k++ {
		intended := first.Add(time.Duration(k) * t.Think())
		if !SleepUntil(ctx, intended) {
			break
		}
		r.pageLoad(ctx, s, intended)
	}
	r.col.Users.Add(-1)
	return sock
}

// sessionOf is the index in r.sessions of user u's session. Consecutive
// users of this process share a session (tabs of one account opening over
// the ramp), so the process's first user of each session, the one that logs
// in, comes at an even pace over the whole ramp: with u mod sessions every
// login fell in the first sessions/users of the ramp (all 5,000 of the 100k
// tier within its first 15 s: 6 cores of argon2 for 15 s on a 2-core
// machine, then a retry storm).
func (r *tierRun) sessionOf(u int) int {
	local := (u - r.cfg.Process) / r.cfg.Processes
	users := r.share(r.cfg.Tier.Users)
	return min(local*len(r.sessions)/max(users, 1), len(r.sessions)-1)
}

// login logs s in once (other users of s wait for it), retrying every 2 s.
func (r *tierRun) login(ctx context.Context, s *session, intended time.Time) bool {
	s.once.Do(func() {
		go func() {
			defer close(s.ready)
			s.ok = r.doLogin(ctx, s, intended)
		}()
	})
	select {
	case <-s.ready:
		return s.ok
	case <-ctx.Done():
		return false
	}
}

func (r *tierRun) doLogin(ctx context.Context, s *session, intended time.Time) bool {
	body, _ := json.Marshal(map[string]string{"email": s.user.Email, "password": s.user.Password})
	req := BuildRequest(http.MethodPost, r.target, "/api/login", http.Header{"Content-Type": {"application/json"}}, body)
	for attempt := 0; ctx.Err() == nil; attempt++ {
		got := make(chan Response, 1)
		ok := r.logins.submit(ctx, job{req: req, typ: TypeLogin, intended: intended, capture: true,
			done: func(_ *Shard, resp Response, err error, _ time.Time) {
				if err != nil {
					resp.Status = 0
				}
				got <- resp
			}})
		if !ok {
			return false
		}
		var resp Response
		select {
		case resp = <-got:
		case <-ctx.Done():
			return false
		}
		if cookie := SessionCookie(resp.Cookies); resp.Status/100 == 2 && cookie != "" {
			s.hdr = http.Header{"Cookie": {cookie}}
			for _, p := range r.cfg.Tier.PageLoad {
				s.pages = append(s.pages, BuildRequest(http.MethodGet, r.target, p, s.hdr, nil))
			}
			return true
		}
		if !SleepUntil(ctx, time.Now().Add(loginBackoff(attempt))) {
			return false
		}
		intended = time.Now()
	}
	return false
}

// loginBackoff is the wait before login retry attempt+1: 2 s doubling to
// 30 s, with ±50 % jitter, as a client backs off from a busy server (a
// fixed 2 s retry from thousands of sessions turned a slow server into a
// login storm: 200 attempts/s, 87 % of them refused).
func loginBackoff(attempt int) time.Duration {
	d := min(2*time.Second<<min(attempt, 4), 30*time.Second)
	return d/2 + time.Duration(rand.Int64N(int64(d)))
}

// loginConns is the size of a process's login pool beside pageConns page
// connections. Logins have connections of their own, as each browser does:
// a login waits for an argon2 slot for up to seconds (slow by design), and
// on a shared pool a burst of logins held the connections that page loads
// of logged-in users were queued for (a 20,000-user run measured page p50
// at 15-24 s with 0 server errors, all of it waiting in the generator).
func loginConns(pageConns int) int { return max(4, pageConns/8) }

// SessionCookie returns "sid=<value>" from Set-Cookie headers.
func SessionCookie(setCookies []string) string {
	for _, c := range setCookies {
		kv, _, _ := strings.Cut(c, ";")
		if name, _, ok := strings.Cut(kv, "="); ok && strings.TrimSpace(name) == server.SessionCookie {
			return strings.TrimSpace(kv)
		}
	}
	return ""
}

// pageLoad fires every page request at once (as a dashboard does) with a
// common intended start; the page's own latency is its slowest request.
func (r *tierRun) pageLoad(ctx context.Context, s *session, intended time.Time) {
	left := atomic.Int32{}
	left.Store(int32(len(s.pages)))
	var failed atomic.Value
	for i, req := range s.pages {
		typ := pageType(r.cfg.Tier.PageLoad[i])
		r.pages.submit(ctx, job{req: req, typ: typ, intended: intended,
			done: func(sh *Shard, resp Response, err error, end time.Time) {
				if k := outcome(resp, err); k != "" {
					failed.Store(k)
				}
				if left.Add(-1) == 0 {
					k, _ := failed.Load().(string)
					sh.Record(TypePage, intended, end, k)
				}
			}})
	}
}

// pageType names a page path's request type: /api/call-logs?limit=20 →
// "GET /api/call-logs".
func pageType(path string) string {
	p, _, _ := strings.Cut(path, "?")
	return "GET " + p
}

// userSocket is a user's current socket, replaced when it drops.
type userSocket struct {
	mu  sync.Mutex
	cur Socket
}

func (u *userSocket) Close() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.cur == nil {
		return nil
	}
	return u.cur.Close()
}

// openSocket opens the user's realtime socket, reopening it (after 0.5-1.5 s
// of jitter) when it drops; a first open is tried 5 times.
func (r *tierRun) openSocket(ctx context.Context, s *session) Socket {
	us := &userSocket{}
	if !r.dialSocket(ctx, s, us) {
		return nil
	}
	return us
}

func (r *tierRun) dialSocket(ctx context.Context, s *session, us *userSocket) bool {
	onClose := func(error) {
		atomic.AddInt64(&r.sockets.Dropped, 1)
		r.col.AddSockets(-1)
		go func() {
			if SleepUntil(ctx, time.Now().Add(jitter())) {
				r.dialSocket(ctx, s, us)
			}
		}()
	}
	for attempt := 0; ctx.Err() == nil; attempt++ {
		t0 := time.Now()
		sock, err := r.cfg.Dialer(ctx, r.wsURL, s.hdr, r.localAddr(), r.onMessage, onClose)
		if err == nil {
			r.sockRec.Record(TypeSocket, t0, time.Now(), "")
			atomic.AddInt64(&r.sockets.Opened, 1)
			r.col.AddSockets(1)
			us.mu.Lock()
			us.cur = sock
			us.mu.Unlock()
			return true
		}
		r.sockRec.Record(TypeSocket, t0, time.Now(), "ws_connect")
		atomic.AddInt64(&r.sockets.Failed, 1)
		if attempt >= 4 || !SleepUntil(ctx, time.Now().Add(jitter())) {
			return false
		}
	}
	return false
}

func jitter() time.Duration { return time.Duration(500+rand.IntN(1000)) * time.Millisecond }

func (r *tierRun) onMessage(msg []byte) {
	atomic.AddInt64(&r.sockets.Messages, 1)
	if IsCallCompleted(msg) {
		atomic.AddInt64(&r.sockets.CallCompleted, 1)
	}
}

var localAddrSeq atomic.Uint64

func (r *tierRun) localAddr() string {
	if len(r.cfg.LocalAddrs) == 0 {
		return ""
	}
	return r.cfg.LocalAddrs[localAddrSeq.Add(1)%uint64(len(r.cfg.LocalAddrs))]
}

// lockedShard is a Shard shared by goroutines that record rarely.
type lockedShard struct {
	mu sync.Mutex
	sh *Shard
}

func (l *lockedShard) Record(typ string, intended, end time.Time, kind string) {
	l.mu.Lock()
	l.sh.Record(typ, intended, end, kind)
	l.mu.Unlock()
}

// webhooks sends this process's share of signed post-call webhooks,
// open-loop, each with a unique conversation id.
func (r *tierRun) webhooks(ctx context.Context) {
	t := r.cfg.Tier
	targets := r.cfg.Seed.Targets()
	if len(targets) == 0 {
		return
	}
	p := startPool(ctx, r.col, r.target, r.cfg.LocalAddrs, r.share(t.WebhookConns), t.RequestTimeout(), 1<<14)
	rate := t.WebhooksPerSecond / float64(r.cfg.Processes)
	Schedule(ctx, r.cfg.Start, rate, func(seq uint64, intended time.Time) bool {
		w := targets[int(seq)%len(targets)]
		conv := fmt.Sprintf("%s-p%d-%d", r.cfg.RunID, r.cfg.Process, seq)
		body, hdr := SignedWebhook(w.Secret, w.ExternalAgentID, conv, time.Now().Unix())
		req := BuildRequest(http.MethodPost, r.target, "/api/webhooks/post-call", hdr, body)
		return p.submit(ctx, job{req: req, typ: TypeWebhook, intended: intended})
	})
	p.wait(r.col, t.RequestTimeout())
}
