package loadgen

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Request types of the tier runner that are reported but not judged by the
// thresholds, and not counted in the totals or the timeseries.
var unjudged = map[string]bool{TypeLogin: true, TypeSocket: true, TypePage: true}

// duringWarmup are the types recorded during the warm-up (the ramp) too:
// logins and socket upgrades happen only then.
var duringWarmup = map[string]bool{TypeLogin: true, TypeSocket: true}

// Request types of the tier runner.
const (
	TypeRequest = "request"    // RunFixed and RunRate
	TypeLogin   = "login"      // POST /api/login
	TypeSocket  = "ws_connect" // WebSocket /ws/realtime-sync upgrade
	TypePage    = "page"       // a whole page load: its slowest request
	TypeWebhook = "webhook"    // POST /api/webhooks/post-call
)

// Collector gathers a run's measurements. Goroutines record through shards
// of their own (no locks on the hot path); a shard hands its current second
// to the collector when the second rolls over.
type Collector struct {
	start  time.Time // time zero of the timeseries
	warmup time.Time // judged samples intended before this stay out of the totals

	mu     sync.Mutex
	shards []*Shard
	secs   []*second

	requests, errors atomic.Int64 // judged totals, for the live line

	metrics *Metrics // live /metrics (nil: none)

	// Gauges sampled once per second into the timeseries.
	Conns, Users, Sockets atomic.Int64
}

type second struct {
	hist                  *Histogram
	requests, errors      int64
	conns, users, sockets int64
}

// NewCollector starts a collector whose timeseries begins at start and which
// drops samples whose intended start is before start+warmup.
func NewCollector(start time.Time, warmup time.Duration) *Collector {
	return &Collector{start: start, warmup: start.Add(warmup)}
}

// SetMetrics makes every request recorded from now on count in m too (the
// generator's live /metrics); call it before the first Shard.
func (c *Collector) SetMetrics(m *Metrics) { c.metrics = m }

// AddSockets moves the open-sockets gauge (the timeseries' and /metrics').
func (c *Collector) AddSockets(d int64) {
	c.Sockets.Add(d)
	if c.metrics != nil {
		c.metrics.sockets.Add(float64(d))
	}
}

// Shard returns a new shard; use one per goroutine.
func (c *Collector) Shard() *Shard {
	s := &Shard{col: c, types: map[string]*typeStats{}, sec: -1, secHist: NewHistogram()}
	c.mu.Lock()
	c.shards = append(c.shards, s)
	c.mu.Unlock()
	return s
}

func (c *Collector) slot(i int) *second {
	for len(c.secs) <= i {
		c.secs = append(c.secs, &second{hist: NewHistogram()})
	}
	return c.secs[i]
}

// Sample writes the gauges into the current second.
func (c *Collector) Sample(now time.Time) {
	i := int(now.Sub(c.start) / time.Second)
	if i < 0 {
		return
	}
	c.mu.Lock()
	s := c.slot(i)
	s.conns, s.users, s.sockets = c.Conns.Load(), c.Users.Load(), c.Sockets.Load()
	c.mu.Unlock()
}

// Totals returns the judged requests and errors recorded so far.
func (c *Collector) Totals() (requests, errors int64) { return c.requests.Load(), c.errors.Load() }

// SecondP99 returns the p99 in µs of second i as flushed so far (shards that
// have not rolled over yet are missing: an estimate for the live line).
func (c *Collector) SecondP99(i int) float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i < 0 || i >= len(c.secs) {
		return 0
	}
	return c.secs[i].hist.Quantile(0.99)
}

type typeStats struct {
	hist             *Histogram
	requests, errors int64
	kinds            map[string]int64
}

// Shard records for one goroutine. Not safe for concurrent use.
type Shard struct {
	col     *Collector
	types   map[string]*typeStats
	sec     int
	secHist *Histogram
	secReq  int64
	secErr  int64
	met     map[string]*scenarioMetrics // per type, when the collector has Metrics
}

// Record adds one request of type typ intended to start at intended and
// finished at end; kind is "" for success or its error kind. Latency is
// recorded whenever a response arrived (status errors included). Judged
// requests intended during the warm-up count in the timeseries only.
func (s *Shard) Record(typ string, intended, end time.Time, kind string) {
	lat := end.Sub(intended)
	responded := kind == "" || strings.HasPrefix(kind, "status_")
	if m := s.col.metrics; m != nil {
		s.live(m, typ, lat, responded, kind)
	}
	if duringWarmup[typ] || !intended.Before(s.col.warmup) {
		s.recordType(typ, lat, responded, kind)
	}
	if unjudged[typ] {
		return
	}
	if !intended.Before(s.col.warmup) {
		s.col.requests.Add(1)
		if kind != "" {
			s.col.errors.Add(1)
		}
	}
	sec := int(end.Sub(s.col.start) / time.Second)
	if sec != s.sec {
		s.flushSecond()
		s.sec = sec
	}
	s.secReq++
	if kind != "" {
		s.secErr++
	}
	if responded {
		s.secHist.Record(lat)
	}
}

// live counts the request in the generator's /metrics, ramp included.
func (s *Shard) live(m *Metrics, typ string, lat time.Duration, responded bool, kind string) {
	sm := s.met[typ]
	if sm == nil {
		if s.met == nil {
			s.met = map[string]*scenarioMetrics{}
		}
		sm = m.scenario(typ)
		s.met[typ] = sm
	}
	m.observe(typ, sm, lat, responded, kind)
}

// recordType adds to the totals of typ (warm-up excluded by the caller).
func (s *Shard) recordType(typ string, lat time.Duration, responded bool, kind string) {
	st := s.types[typ]
	if st == nil {
		st = &typeStats{hist: NewHistogram(), kinds: map[string]int64{}}
		s.types[typ] = st
	}
	st.requests++
	if responded {
		st.hist.Record(lat)
	}
	if kind != "" {
		st.errors++
		st.kinds[kind]++
	}
}

func (s *Shard) flushSecond() {
	if s.sec < 0 || s.secReq == 0 {
		return
	}
	s.col.mu.Lock()
	slot := s.col.slot(s.sec)
	slot.hist.Merge(s.secHist)
	slot.requests += s.secReq
	slot.errors += s.secErr
	s.col.mu.Unlock()
	s.secHist.Reset()
	s.secReq, s.secErr = 0, 0
}

// Result flushes every shard and returns the measurements; call it once the
// recording goroutines have stopped. measured is the measured duration (rps
// is computed over it).
func (c *Collector) Result(name string, measured time.Duration) *Result {
	c.mu.Lock()
	shards := append([]*Shard(nil), c.shards...)
	c.mu.Unlock()
	for _, s := range shards {
		s.flushSecond()
	}
	r := &Result{Name: name, Start: c.start, Seconds: measured.Seconds(), Processes: 1, Types: map[string]*TypeResult{}}
	for _, s := range shards {
		for typ, st := range s.types {
			tr := r.Types[typ]
			if tr == nil {
				tr = &TypeResult{Hist: NewHistogram(), ErrorKinds: map[string]int64{}}
				r.Types[typ] = tr
			}
			tr.Hist.Merge(st.hist)
			tr.Requests += st.requests
			tr.Errors += st.errors
			for k, v := range st.kinds {
				tr.ErrorKinds[k] += v
			}
		}
	}
	c.mu.Lock()
	for i, sec := range c.secs {
		r.Timeseries = append(r.Timeseries, Second{T: i, Requests: sec.requests, Errors: sec.errors,
			Conns: sec.conns, Users: sec.users, Sockets: sec.sockets, Hist: sec.hist.Clone()})
	}
	c.mu.Unlock()
	r.Finalize()
	return r
}
