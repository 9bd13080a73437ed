package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/echosenseix/echosenseix/bench/internal/load"
	"github.com/echosenseix/echosenseix/bench/internal/report"
	"github.com/echosenseix/echosenseix/bench/peer"
	"github.com/echosenseix/echosenseix/internal/proc"
	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/internal/webhook"
	"github.com/echosenseix/echosenseix/loadtests/loadgen"
)

// scenario is one macro benchmark: an endpoint (ep) on one server (srv) at
// a fixed connection count.
type scenario struct {
	ep, srv string
	conns   int
	unit    string  // req/s, or pages/s for the page load
	perOp   float64 // requests per unit (4 GETs per page)
	target  load.Target
	proc    *process
	driver  load.Driver
	samples []runSample
}

func (s *scenario) name() string {
	return fmt.Sprintf("HTTP/ep=%s/c=%d/srv=%s", s.ep, s.conns, s.srv)
}

type runSample struct {
	res       load.Result
	serverCPU time.Duration
	svcCPU    time.Duration // postgres and redis-server processes
	otherCPU  time.Duration // every other process on the machine
}

// servicesCPU is the CPU time of the data services (Postgres, Redis).
func servicesCPU() time.Duration {
	all, err := proc.All()
	if err != nil {
		return 0
	}
	return proc.CommCPU(all, "postgres", "redis-server")
}

// macro holds the servers and scenarios of the HTTP benchmarks.
type macro struct {
	cfg    config
	svc    services
	dir    string
	p      *progress
	procs  []*process
	drop   func()
	tmp    string        // built peer binary, removed by close
	groups [][]*scenario // each group is interleaved: its sides run back to back
	notes  []string
	stops  []func() // in-process helpers (the OTLP sink), stopped by close
}

func (m *macro) note(format string, args ...any) {
	s := strings.ReplaceAll(strings.TrimSpace(fmt.Sprintf(format, args...)), "\n", " | ")
	m.notes = append(m.notes, s)
	m.p.Log("macro: %s", s)
}

func (m *macro) close() {
	for _, p := range m.procs {
		p.Stop()
	}
	for _, stop := range m.stops {
		stop()
	}
	if m.drop != nil {
		m.drop()
	}
	if m.tmp != "" {
		os.RemoveAll(m.tmp)
	}
}

func (m *macro) driver(t load.Target) load.Driver {
	all := map[string]load.Driver{"wrk": load.Wrk{TempDir: m.dir}, "loadgen": load.Loadgen{}, "raw": load.Raw{}}
	order := []string{"wrk", "loadgen", "raw"}
	if m.cfg.Driver != "auto" {
		order = append([]string{m.cfg.Driver}, order...)
	}
	for _, n := range order {
		if all[n].CanRun(t) {
			return all[n]
		}
	}
	return load.Raw{}
}

func (m *macro) add(group int, ep, srv string, conns int, p *process, t load.Target) {
	t.Addr, t.Conns = p.Addr, conns
	s := &scenario{ep: ep, srv: srv, conns: conns, unit: "req/s", perOp: 1, target: t, proc: p}
	if ep == "page" {
		s.unit, s.perOp = "pages/s", float64(len(t.Paths))
	}
	if m.cfg.Match != nil && !m.cfg.Match.MatchString(s.name()) {
		return
	}
	s.driver = m.driver(t)
	for len(m.groups) <= group {
		m.groups = append(m.groups, nil)
	}
	m.groups[group] = append(m.groups[group], s)
}

// Scenario groups, each interleaved within a round.
const (
	gHealth = iota
	gAgent
	gPage
	gWebhook
	gWebhookBig
	gHealthBig // /health/live at BigConns
	gAgentBig  // the cached agent read at BigConns
)

// pagePaths is one dashboard page load.
var pagePaths = []string{"/api/auth/user", "/api/agents", "/api/analytics/organization", "/api/call-logs?limit=20"}

// setup builds and starts every server the configuration asks for and
// defines the scenarios; what it cannot start is noted and skipped.
func (m *macro) setup(ctx context.Context) {
	binDir, err := os.MkdirTemp("", "benchrun-bin-")
	if err != nil {
		m.note("cannot create a temp dir: %v", err)
		return
	}
	m.tmp = binDir
	_, noNginx := exec.LookPath("nginx") // named in the "unavailable" line
	if m.cfg.Servers["nginx"] && noNginx == nil {
		if p, err := startNginx(ctx, m.dir); err != nil {
			m.note("nginx ceiling skipped: %v", err)
		} else {
			m.procs = append(m.procs, p)
			m.add(gHealth, "health-live", "nginx", m.cfg.Conns, p, load.Target{Paths: []string{"/"}})
			m.add(gHealthBig, "health-live", "nginx", m.cfg.BigConns, p, load.Target{Paths: []string{"/"}})
		}
	}
	if m.cfg.Servers["peer"] || m.cfg.Servers["hertz"] {
		bin := filepath.Join(binDir, "benchpeer")
		if err := goBuild(ctx, m.cfg.Root, bin, "./bench/cmd/benchpeer"); err != nil {
			m.note("peers skipped: %v", err)
		} else {
			if m.cfg.Servers["peer"] {
				m.setupPeer(ctx, bin)
			}
			if m.cfg.Servers["hertz"] {
				m.setupHertz(ctx, bin)
			}
		}
	}
	if m.cfg.Servers["ours"] {
		m.setupOurs(ctx)
	}
}

func (m *macro) setupPeer(ctx context.Context, bin string) {
	addr, err := freeAddr()
	if err != nil {
		m.note("net/http peer skipped: %v", err)
		return
	}
	p, err := start(ctx, "peer", m.dir, addr, bin, []string{"-addr", addr, "-agents", "10", "-calls", "200"}, nil, "/health/live")
	if err != nil {
		m.note("net/http peer skipped: %v", err)
		return
	}
	m.procs = append(m.procs, p)
	cookie, err := login(addr, peer.DemoEmail, peer.DemoPassword)
	m.add(gHealth, "health-live", "peer", m.cfg.Conns, p, load.Target{Paths: []string{"/health/live"}})
	m.add(gHealthBig, "health-live", "peer", m.cfg.BigConns, p, load.Target{Paths: []string{"/health/live"}})
	if err != nil {
		m.note("net/http peer: %v", err)
		return
	}
	h := []string{cookie}
	m.add(gAgent, "agent", "peer", m.cfg.Conns, p, load.Target{Paths: []string{"/api/agents/" + peer.DemoAgent(peer.DemoOrganizationID, 1).ID}, Header: h})
	m.add(gPage, "page", "peer", m.cfg.Conns, p, load.Target{Paths: pagePaths, Header: h})
}

// setupHertz starts bare hertz (bench/hertzpeer): /health/live and the
// agent read with our bytes and no middleware, at both connection counts.
func (m *macro) setupHertz(ctx context.Context, bin string) {
	addr, err := freeAddr()
	if err != nil {
		m.note("bare hertz skipped: %v", err)
		return
	}
	p, err := start(ctx, "hertz", m.dir, addr, bin, []string{"-server", "hertz", "-addr", addr, "-agents", "10"}, nil, "/health/live")
	if err != nil {
		m.note("bare hertz skipped: %v", err)
		return
	}
	m.procs = append(m.procs, p)
	agent := load.Target{Paths: []string{"/api/agents/" + peer.DemoAgent(peer.DemoOrganizationID, 1).ID}}
	live := load.Target{Paths: []string{"/health/live"}}
	m.add(gHealth, "health-live", "hertz", m.cfg.Conns, p, live)
	m.add(gAgent, "agent", "hertz", m.cfg.Conns, p, agent)
	m.add(gHealthBig, "health-live", "hertz", m.cfg.BigConns, p, live)
	m.add(gAgentBig, "agent", "hertz", m.cfg.BigConns, p, agent)
}

// ourEnv is the environment every server of ours gets.
func ourEnv(addr string) []string {
	return []string{"PORT=" + portOf(addr), "HOST=127.0.0.1", "CLUSTER_ENABLED=false", "CACHE_PROVIDER=memory",
		"SESSION_STORE=memory", "QUEUE_PROVIDER=memory", "LOG_LEVEL=warn"}
}

func (m *macro) setupOurs(ctx context.Context) {
	bin := filepath.Join(m.cfg.Root, "bin", "echosenseix")
	if m.cfg.Bin != "" {
		bin = m.cfg.Bin
		m.note("our server: the prebuilt %s (BENCH_BIN)", bin)
	} else {
		m.p.Status("building bin/echosenseix")
		if err := goBuild(ctx, m.cfg.Root, bin, "./server/cmd/echosenseix"); err != nil {
			m.note("our server skipped: %v", err)
			return
		}
	}
	var (
		sd     loadgen.Seed
		dsn    string
		err    error
		seedTo = filepath.Join(m.dir, "seed.json")
		base   []string
	)
	if m.svc.PGAdmin != "" {
		var drop func()
		dsn, drop, err = stack.CreateDatabase(ctx, m.svc.PGAdmin)
		if err != nil {
			m.note("our server skipped: %v", err)
			return
		}
		m.drop = drop
		m.p.Status("seeding the benchmark database")
		if sd, err = seed(ctx, bin, dsn); err != nil {
			m.note("our server skipped: %v", err)
			return
		}
		pool := strconv.Itoa(m.poolSize(ctx))
		base = []string{"DATABASE_URL=" + dsn, "DATABASE_MIN_CONNECTIONS=2", "DATABASE_MAX_CONNECTIONS=" + pool}
		m.note("Postgres pool per server process: %s connections (DATABASE_MAX_CONNECTIONS)", pool)
	} else {
		base = []string{"SEED_ORGS=1", "SEED_USERS=1", "SEED_AGENTS=10", "SEED_OUT=" + seedTo}
	}
	ours := m.startOurs(ctx, "ours", bin, append(base, "INGEST_BATCH_ENABLED=true"))
	if ours == nil {
		return
	}
	if dsn == "" {
		if sd, err = loadgen.ReadSeed(seedTo); err != nil {
			m.note("our server: %v; only /health/live is measured", err)
			m.add(gHealth, "health-live", "ours", m.cfg.Conns, ours, load.Target{Paths: []string{"/health/live"}})
			return
		}
	}
	m.add(gHealth, "health-live", "ours", m.cfg.Conns, ours, load.Target{Paths: []string{"/health/live"}})
	m.add(gHealthBig, "health-live", "ours", m.cfg.BigConns, ours, load.Target{Paths: []string{"/health/live"}})
	m.addAuthed(ours, "ours", sd, true)
	m.setupTracing(ctx, bin, base, sd, dsn == "")
	if dsn != "" {
		if off := m.startOurs(ctx, "ours-batch-off", bin, append(base, "INGEST_BATCH_ENABLED=false")); off != nil {
			m.addWebhooks(ours, off, sd)
		}
	} else {
		m.note("webhook ingestion skipped: needs Postgres (%v)", m.svc.PGErr)
	}
	if m.svc.RedisErr == nil && dsn != "" {
		env := append(base, "CACHE_PROVIDER=redis", "REDIS_URL="+redisURL(m.svc.Redis), "DATABASE_MAX_CONNECTIONS=10")
		if r := m.startOurs(ctx, "ours-redis", bin, env); r != nil {
			m.addAuthed(r, "ours-redis", sd, false)
		}
		// Sessions in Redis too: every authenticated request looks its
		// session up (served from the client-side cache).
		env = append(env[:len(env):len(env)], "SESSION_STORE=redis")
		if r := m.startOurs(ctx, "ours-redis-sessions", bin, env); r != nil {
			m.addAuthed(r, "ours-redis-sessions", sd, false)
		}
	}
}

func (m *macro) startOurs(ctx context.Context, name, bin string, env []string) *process {
	addr, err := freeAddr()
	if err != nil {
		m.note("%s skipped: %v", name, err)
		return nil
	}
	var pprofAddr string
	if name == "ours" { // the server whose CPU per request is profiled (profile.go)
		if pprofAddr, err = freeAddr(); err != nil {
			m.note("%s: no CPU profile: %v", name, err)
		} else {
			env = append(env[:len(env):len(env)], "PPROF_ADDR="+pprofAddr)
		}
	}
	m.p.Status("starting %s", name)
	p, err := start(ctx, name, m.dir, addr, bin, []string{"serve"}, append(ourEnv(addr), env...), "/health/live")
	if err != nil {
		m.note("%s skipped: %v", name, err)
		return nil
	}
	p.Pprof = pprofAddr
	m.procs = append(m.procs, p)
	return p
}

// addAuthed logs in to p and adds the cached agent read (and the page load
// when page is set).
func (m *macro) addAuthed(p *process, srv string, sd loadgen.Seed, page bool) {
	users := sd.Logins()
	if len(users) == 0 || len(sd.Organizations[0].Agents) < 2 {
		m.note("%s: the seed has no user or agents; only /health/live is measured", srv)
		return
	}
	cookie, err := login(p.Addr, users[0].Email, users[0].Password)
	if err != nil {
		m.note("%s: %v; only /health/live is measured", srv, err)
		return
	}
	agent := "/api/agents/" + sd.Organizations[0].Agents[1].ID
	if err := getOK(p.Addr, agent, cookie); err != nil {
		m.note("%s: %v", srv, err)
		return
	}
	h := []string{cookie}
	m.add(gAgent, "agent", srv, m.cfg.Conns, p, load.Target{Paths: []string{agent}, Header: h})
	if page {
		m.add(gAgentBig, "agent", srv, m.cfg.BigConns, p, load.Target{Paths: []string{agent}, Header: h})
		m.add(gPage, "page", srv, m.cfg.Conns, p, load.Target{Paths: pagePaths, Header: h})
	}
}

func (m *macro) addWebhooks(on, off *process, sd loadgen.Seed) {
	for _, c := range []struct {
		group, conns int
	}{{gWebhook, m.cfg.Conns}, {gWebhookBig, m.cfg.BigConns}} {
		m.add(c.group, "webhook", "batch-on", c.conns, on, webhookTarget(sd, "on"))
		m.add(c.group, "webhook", "batch-off", c.conns, off, webhookTarget(sd, "off"))
	}
}

// webhookTarget signs a post-call webhook per request, each with a new
// conversation id, round robin over the seeded agents.
func webhookTarget(sd loadgen.Seed, tag string) load.Target {
	agents := sd.Targets()
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	return load.Target{Paths: []string{"/api/webhooks/post-call"}, Method: "POST",
		Body: func(conn int, seq uint64) ([]byte, []string) {
			a := agents[(conn+int(seq))%len(agents)]
			now := time.Now()
			conv := "bench-" + tag + "-" + run + "-" + strconv.Itoa(conn) + "-" + strconv.FormatUint(seq, 10)
			body := peer.DemoWebhookBody(a.ExternalAgentID, conv, now)
			return body, []string{"Content-Type: application/json", webhook.Header + ": " + webhook.Sign([]byte(a.Secret), body, now)}
		}}
}

// poolSize splits Postgres' max_connections between the two ingest servers
// (10 left for others), at most 100 each (the default).
func (m *macro) poolSize(ctx context.Context) int {
	n := 100
	if c, err := pgxConnect(ctx, m.svc.PGAdmin); err == nil {
		var s string
		if c.QueryRow(ctx, "SHOW max_connections").Scan(&s) == nil {
			if v, err := strconv.Atoi(s); err == nil {
				n = min(n, (v-30)/2)
			}
		}
		c.Close(context.Background())
	}
	return max(n, 4)
}

// fitBudget lowers the number of rounds (not below 3, or 1 in quick mode)
// so the macro stage ends within left.
func (m *macro) fitBudget(left time.Duration) {
	n := 0
	for _, g := range m.groups {
		n += len(g)
	}
	perRound := time.Duration(n) * (m.cfg.Duration + 400*time.Millisecond)
	warm := time.Duration(n) * (m.cfg.Warmup + 400*time.Millisecond)
	was, floor := m.cfg.Rounds, min(3, m.cfg.Rounds)
	for m.cfg.Rounds > floor && warm+time.Duration(m.cfg.Rounds)*perRound > left {
		m.cfg.Rounds--
	}
	if m.cfg.Rounds < was {
		m.note("rounds lowered from %d to %d to end within BENCH_BUDGET", was, m.cfg.Rounds)
	}
}

// runAll warms every scenario up (excluded), then runs the rounds: in each,
// every group's sides back to back, in alternating order.
func (m *macro) runAll(ctx context.Context) {
	total := 0
	for _, g := range m.groups {
		total += len(g) * m.cfg.Rounds
	}
	// Webhooks first: they also fill the call logs the page load reads.
	order := []int{gWebhook, gWebhookBig, gHealth, gAgent, gPage, gHealthBig, gAgentBig}
	for _, gi := range order {
		if gi >= len(m.groups) {
			continue
		}
		for _, s := range m.groups[gi] {
			m.p.Status("macro warm-up %s (%s)", s.name(), s.driver.Name())
			if _, err := m.once(ctx, s, m.cfg.Warmup); err != nil {
				m.note("%s warm-up: %v", s.name(), err)
			}
		}
	}
	done := 0
	for r := 0; r < m.cfg.Rounds && ctx.Err() == nil; r++ {
		for _, gi := range order {
			if gi >= len(m.groups) {
				continue
			}
			g := m.groups[gi]
			for k := range g {
				s := g[k]
				if r%2 == 1 {
					s = g[len(g)-1-k]
				}
				done++
				sample, err := m.once(ctx, s, m.cfg.Duration)
				if err != nil {
					m.note("%s round %d: %v", s.name(), r+1, err)
					continue
				}
				s.samples = append(s.samples, sample)
				res := sample.res
				m.p.Status("macro %d/%d %s round %d/%d: %s, p99 %v; cores: server %.2f, generator %.2f (%s), db %.2f, others %.2f",
					done, total, s.name(), r+1, m.cfg.Rounds, report.FormatValue(okPerSec(res)/s.perOp, s.unit),
					res.P99.Round(10*time.Microsecond), cores(sample.serverCPU, res.Elapsed), cores(res.GenCPU, res.Elapsed),
					s.driver.Name(), cores(sample.svcCPU, res.Elapsed), cores(sample.otherCPU, res.Elapsed))
			}
		}
	}
}

func (m *macro) once(ctx context.Context, s *scenario, d time.Duration) (runSample, error) {
	t := s.target
	t.Duration = d
	cpu0, err := proc.TreeCPU(s.proc.PID())
	if err != nil {
		return runSample{}, err
	}
	sys0, _ := proc.SystemBusy()
	svc0 := servicesCPU()
	res, err := s.driver.Run(ctx, t)
	if err != nil {
		return runSample{}, err
	}
	svc1 := servicesCPU()
	sys1, _ := proc.SystemBusy()
	cpu1, err := proc.TreeCPU(s.proc.PID())
	if err != nil {
		return runSample{}, fmt.Errorf("server died during the run: %w: %s", err, tail(s.proc.logf))
	}
	r := runSample{res: res, serverCPU: cpu1 - cpu0, svcCPU: svc1 - svc0}
	r.otherCPU = max(0, sys1-sys0-r.serverCPU-res.GenCPU-r.svcCPU)
	return r, nil
}

func okPerSec(r load.Result) float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests-r.Non2xx) / r.Elapsed.Seconds()
}

func cores(cpu, wall time.Duration) float64 {
	if wall <= 0 {
		return 0
	}
	return cpu.Seconds() / wall.Seconds()
}
