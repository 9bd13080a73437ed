package capacity

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/echosenseix/echosenseix/loadtests/tiers"
)

// Workload is what the planner is asked about, in the tiers' terms: every
// user holds SocketsPerUser sockets and loads Pages (all together) every
// ThinkSeconds; webhooks land uniformly over the organizations' agents and
// each delivers one frame to every socket of its organization.
type Workload struct {
	Users          int
	ThinkSeconds   float64
	Webhooks       float64 // per second
	Orgs           int
	SocketsPerUser float64
	// Sessions logins spread over RampSeconds (0: no ramp is planned).
	Sessions    int
	RampSeconds float64
	Pages       []string // paths of one page load (default: the tiers' pageLoad)
	HTTPConns   int      // the generator's page connections (file descriptors)
	Workers     int      // server processes (cluster workers)
	DBPool      int      // DATABASE_MAX_CONNECTIONS of each process
}

// FromTier is the workload of a tier.
func FromTier(t tiers.Tier) Workload {
	return Workload{
		Users: t.Users, ThinkSeconds: t.ThinkSeconds, Webhooks: t.WebhooksPerSecond, Orgs: t.Seed.Orgs,
		SocketsPerUser: socketsPerUser(t), Sessions: t.Sessions, RampSeconds: t.RampSeconds, Pages: t.PageLoad,
		HTTPConns: t.HTTPConns + t.WebhookConns, Workers: max(1, t.Server.ClusterWorkers), DBPool: DefaultDBPool,
	}
}

func socketsPerUser(t tiers.Tier) float64 {
	if t.Realtime {
		return 1
	}
	return 0
}

// defaultPages is the tiers' pageLoad.
func defaultPages() []string {
	t, err := tiers.Load("smoke")
	if err != nil {
		return nil
	}
	return t.PageLoad
}

// DefaultDBPool is the per-process Postgres pool the load runs configure.
const DefaultDBPool = 50

// Host is the size of one machine of a deployment.
type Host struct {
	Cores       float64
	MemoryBytes float64
	// Headroom is the fraction of a host the plan fills (default 0.7).
	Headroom float64
}

// Line is one unit's share of a prediction.
type Line struct {
	Unit            string
	Rate            float64 // units per second
	ServerCores     float64
	GeneratorCores  float64
	RedisOpsPerSec  float64
	ServerUS, GenUS float64
	Missing         bool // the model has no measurement of this unit
}

// Prediction is the planner's answer for one workload.
type Prediction struct {
	Workload Workload
	Hold     []Line // steady state: pages, webhooks, frames, idle sockets
	Ramp     []Line // added while users arrive: logins, socket connects

	ServerCores, GeneratorCores         float64 // steady state, baseline included
	ServerCoresRamp, GeneratorCoresRamp float64 // at the end of the ramp
	Sockets                             float64
	FramesPerSecond                     float64
	PageRequestsPerSecond               float64
	ServerMemoryBytes, GenMemoryBytes   float64
	ServerFDs, GeneratorFDs             int
	PostgresConns                       int
	RedisOpsPerSec                      float64
	ServerHosts, GeneratorHosts         int
	// LoginsPerSecondPerCore is what one core of argon2 sustains.
	LoginsPerSecondPerCore float64
	// MemoryNotMeasured names the per-socket memory figures the model
	// lacks (its run saw no growth): the memory lines leave them out.
	MemoryNotMeasured []string
}

// Predict multiplies w by the unit costs of m and sizes hosts of h.
func Predict(m Model, w Workload, h Host) Prediction {
	if w.SocketsPerUser < 0 {
		w.SocketsPerUser = 0
	}
	if len(w.Pages) == 0 {
		w.Pages = defaultPages()
	}
	if w.Workers <= 0 {
		w.Workers = 1
	}
	if w.DBPool <= 0 {
		w.DBPool = DefaultDBPool
	}
	if h.Headroom <= 0 || h.Headroom > 1 {
		h.Headroom = 0.7
	}
	p := Prediction{Workload: w}
	p.Sockets = float64(w.Users) * w.SocketsPerUser
	line := func(unit string, rate float64) Line {
		u := m.Unit(unit)
		l := Line{Unit: unit, Rate: rate, ServerUS: u.ServerUS(), GenUS: u.GeneratorUS(), Missing: u.Count == 0}
		l.ServerCores = rate * u.ServerUS() / 1e6
		l.GeneratorCores = rate * u.GeneratorUS() / 1e6
		l.RedisOpsPerSec = rate * u.RedisPerUnit()
		return l
	}
	if w.ThinkSeconds > 0 {
		loads := float64(w.Users) / w.ThinkSeconds
		for _, path := range w.Pages {
			p.Hold = append(p.Hold, line(PageUnit(path), loads))
			p.PageRequestsPerSecond += loads
		}
	}
	p.Hold = append(p.Hold, line(UnitWebhook, w.Webhooks))
	if w.Orgs > 0 {
		p.FramesPerSecond = w.Webhooks * p.Sockets / float64(w.Orgs)
	}
	p.Hold = append(p.Hold, line(UnitFrame, p.FramesPerSecond), line(UnitSocketSecond, p.Sockets))
	if w.RampSeconds > 0 {
		p.Ramp = append(p.Ramp, line(UnitLogin, float64(w.Sessions)/w.RampSeconds),
			line(UnitConnect, p.Sockets/w.RampSeconds))
	}
	base := m.BaselineServerCores * float64(w.Workers)
	p.ServerCores, p.GeneratorCores = base, 0
	for _, l := range p.Hold {
		p.ServerCores += l.ServerCores
		p.GeneratorCores += l.GeneratorCores
		p.RedisOpsPerSec += l.RedisOpsPerSec
	}
	p.ServerCoresRamp, p.GeneratorCoresRamp = p.ServerCores, p.GeneratorCores
	for _, l := range p.Ramp {
		p.ServerCoresRamp += l.ServerCores
		p.GeneratorCoresRamp += l.GeneratorCores
	}
	p.ServerMemoryBytes = m.ServerBaseRSS*float64(w.Workers) + p.Sockets*max(0, m.ServerRSSPerSocket)
	p.GenMemoryBytes = p.Sockets * max(0, m.GeneratorRSSPerSocket)
	if m.ServerRSSPerSocket <= 0 {
		p.MemoryNotMeasured = append(p.MemoryNotMeasured, "server")
	}
	if m.GeneratorRSSPerSocket <= 0 {
		p.MemoryNotMeasured = append(p.MemoryNotMeasured, "generator")
	}
	// One descriptor per socket and per connection, the pool, and the
	// process's own (listeners, logs, epoll: 64 each).
	p.ServerFDs = int(math.Ceil(p.Sockets)) + w.HTTPConns + w.DBPool*w.Workers + 64*w.Workers
	p.GeneratorFDs = int(math.Ceil(p.Sockets)) + w.HTTPConns + 64
	p.PostgresConns = w.DBPool * w.Workers
	if u := m.Unit(UnitLogin); u.ServerUS() > 0 {
		p.LoginsPerSecondPerCore = 1e6 / u.ServerUS()
	}
	p.ServerHosts = hostsFor(max(p.ServerCores, p.ServerCoresRamp), p.ServerMemoryBytes, h)
	p.GeneratorHosts = hostsFor(max(p.GeneratorCores, p.GeneratorCoresRamp), p.GenMemoryBytes, h)
	return p
}

// hostsFor is how many hosts of h carry cores and memory at h.Headroom.
func hostsFor(cores, mem float64, h Host) int {
	n := 1.0
	if h.Cores > 0 {
		n = max(n, math.Ceil(cores/(h.Cores*h.Headroom)))
	}
	if h.MemoryBytes > 0 {
		n = max(n, math.Ceil(mem/(h.MemoryBytes*h.Headroom)))
	}
	return int(n)
}

// PageUnit is the unit of a page path: "/api/call-logs?limit=20" is
// "page:/api/call-logs".
func PageUnit(path string) string {
	p, _, _ := strings.Cut(path, "?")
	return PagePrefix + p
}

// Print writes the prediction as text.
func (p Prediction) Print(w io.Writer, h Host) {
	wl := p.Workload
	fmt.Fprintf(w, "workload: %d users, think %gs, %g webhooks/s, %d orgs, %g sockets/user (%g sockets, %.0f frames/s, %.0f page requests/s), %d server process(es)\n",
		wl.Users, wl.ThinkSeconds, wl.Webhooks, wl.Orgs, wl.SocketsPerUser, p.Sockets, p.FramesPerSecond, p.PageRequestsPerSecond, wl.Workers)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "unit\trate/s\tserver µs\tserver cores\tgen µs\tgen cores\tredis ops/s\t")
	rows := append(append([]Line(nil), p.Hold...), p.Ramp...)
	for i, l := range rows {
		name := l.Unit
		if i >= len(p.Hold) {
			name += " (ramp)"
		}
		if l.Missing {
			name += " (not measured)"
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.3f\t%.1f\t%.3f\t%.0f\t\n", name, l.Rate, l.ServerUS, l.ServerCores, l.GenUS, l.GeneratorCores, l.RedisOpsPerSec)
	}
	tw.Flush()
	fmt.Fprintf(w, "server cores: %.2f steady, %.2f at the end of the ramp\n", p.ServerCores, p.ServerCoresRamp)
	fmt.Fprintf(w, "generator cores: %.2f steady, %.2f at the end of the ramp\n", p.GeneratorCores, p.GeneratorCoresRamp)
	fmt.Fprintf(w, "memory: server %.0f MiB, generator %.0f MiB", p.ServerMemoryBytes/(1<<20), p.GenMemoryBytes/(1<<20))
	if len(p.MemoryNotMeasured) > 0 {
		fmt.Fprintf(w, " (per-socket memory not measured for the %s: sockets not counted)", strings.Join(p.MemoryNotMeasured, " and "))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "file descriptors: server %d, generator %d\n", p.ServerFDs, p.GeneratorFDs)
	fmt.Fprintf(w, "postgres connections: %d (pool ceiling: %d process(es) x %d)\n", p.PostgresConns, wl.Workers, wl.DBPool)
	fmt.Fprintf(w, "redis ops/s: %.0f\n", p.RedisOpsPerSec)
	if p.LoginsPerSecondPerCore > 0 {
		fmt.Fprintf(w, "logins: %.1f/s per core of argon2; the ramp asks %.1f/s\n", p.LoginsPerSecondPerCore, rateOf(p.Ramp, UnitLogin))
	}
	fmt.Fprintf(w, "hosts of %g cores / %.0f GiB at %.0f%%: server %d, generator %d\n",
		h.Cores, h.MemoryBytes/(1<<30), headroom(h)*100, p.ServerHosts, p.GeneratorHosts)
}

func headroom(h Host) float64 {
	if h.Headroom <= 0 || h.Headroom > 1 {
		return 0.7
	}
	return h.Headroom
}

func rateOf(ls []Line, unit string) float64 {
	for _, l := range ls {
		if l.Unit == unit {
			return l.Rate
		}
	}
	return 0
}

// Dominant returns the hold units sorted by server cores, largest first.
func (p Prediction) Dominant() []Line {
	ls := append([]Line(nil), p.Hold...)
	sort.SliceStable(ls, func(i, j int) bool { return ls[i].ServerCores > ls[j].ServerCores })
	return ls
}

// RunAverage is the mean server and generator cores over a whole tier run
// (the ramp, then holdSeconds), as make loadtest measures CPU: users
// arrive evenly over the ramp, so pages, frames and idle sockets average
// half their steady rate there; webhooks run at full rate throughout;
// logins and connects happen during the ramp only.
func (p Prediction) RunAverage(baseline, holdSeconds float64) (server, generator float64) {
	ramp := p.Workload.RampSeconds
	total := ramp + holdSeconds
	if total <= 0 {
		return p.ServerCores, p.GeneratorCores
	}
	var sHold, gHold, sHalf, gHalf float64
	for _, l := range p.Hold {
		sHold += l.ServerCores
		gHold += l.GeneratorCores
		if l.Unit == UnitWebhook {
			sHalf += l.ServerCores
			gHalf += l.GeneratorCores
		} else {
			sHalf += l.ServerCores / 2
			gHalf += l.GeneratorCores / 2
		}
	}
	for _, l := range p.Ramp {
		sHalf += l.ServerCores
		gHalf += l.GeneratorCores
	}
	server = baseline + (ramp*sHalf+holdSeconds*sHold)/total
	generator = (ramp*gHalf + holdSeconds*gHold) / total
	return server, generator
}
