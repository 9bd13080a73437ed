package faults_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/echosenseix/echosenseix/integration/harness"
	"github.com/echosenseix/echosenseix/internal/wsclient"
)

// loadCfg is the mix of one scenario's load; every worker paces itself.
type loadCfg struct {
	webhooks, reads, docs int           // workers of each kind
	pace                  time.Duration // pause between two requests of a worker
	// session answers the base URL and the logged-in client of read or
	// document worker w (default: the balancer and a login through it).
	session func(w int) (string, *harness.Client)
}

// failure is one request that did not get the answer it wanted.
type failure struct {
	At         time.Time
	What       string
	Status     int // 0: transport error
	Latency    time.Duration
	RetryAfter string
}

// answer is when one request ended, how long it took and whether it got
// what it wanted.
type answer struct {
	At      time.Time
	Latency time.Duration
	OK      bool
}

// load runs requests through the balancer until stop.
type load struct {
	t      *testing.T
	f      *fleet
	url    string
	led    *ledger
	sent   atomic.Int64
	failed atomic.Int64
	stop   atomic.Bool
	wg     sync.WaitGroup

	mu       sync.Mutex
	failures []failure
	answers  []answer // every answer, in arrival order
	docs     []string // documents accepted (202)
	statuses map[string]int
}

func startLoad(t *testing.T, f *fleet, scenario string, cfg loadCfg) *load {
	t.Helper()
	l := &load{t: t, f: f, url: f.LB.URL, led: newLedger(scenario, f.Org), statuses: map[string]int{}}
	if cfg.pace == 0 {
		cfg.pace = 10 * time.Millisecond
	}
	if cfg.session == nil {
		cfg.session = func(w int) (string, *harness.Client) { return f.LB.URL, f.login(t, f.LB.URL, w) }
	}
	agent := f.Org.Agents[0]
	for range cfg.webhooks {
		c := harness.NewClient()
		l.wg.Go(func() {
			for !l.stop.Load() {
				t0 := time.Now()
				r, err := l.led.send(c, l.url)
				l.record("POST /api/webhooks/post-call", t0, r, err, 200)
				time.Sleep(cfg.pace)
			}
		})
	}
	for w := range cfg.reads {
		base, c := cfg.session(w)
		l.wg.Go(func() {
			for !l.stop.Load() {
				t0 := time.Now()
				r, err := c.Do("GET", base+"/api/agents/"+agent.ID, nil)
				l.record("GET /api/agents/:id", t0, r, err, 200)
				time.Sleep(cfg.pace)
			}
		})
	}
	for w := range cfg.docs {
		base, c := cfg.session(w + cfg.reads)
		l.wg.Go(func() {
			for k := 0; !l.stop.Load(); k++ {
				t0 := time.Now()
				r, err := c.Do("POST", base+"/api/documents", map[string]string{"title": fmt.Sprintf("doc %d-%d", w, k), "content": "hello  fault world"})
				if l.record("POST /api/documents", t0, r, err, 202) {
					var ans struct{ DocumentID string }
					if json.Unmarshal(r.Body, &ans) == nil && ans.DocumentID != "" {
						l.mu.Lock()
						l.docs = append(l.docs, ans.DocumentID)
						l.mu.Unlock()
					}
				}
				time.Sleep(4 * cfg.pace)
			}
		})
	}
	t.Cleanup(l.halt)
	return l
}

// record counts one answer to a request sent at start; false when it was
// not want.
func (l *load) record(what string, start time.Time, r *harness.Response, err error, want int) bool {
	l.sent.Add(1)
	key := what + " "
	if err != nil {
		key += "error"
	} else {
		key += fmt.Sprint(r.Status)
	}
	ok := err == nil && r.Status == want
	lat := time.Since(start)
	l.mu.Lock()
	l.answers = append(l.answers, answer{At: time.Now(), Latency: lat, OK: ok})
	l.statuses[key]++
	if !ok {
		l.failed.Add(1)
		detail := key
		if err != nil {
			detail += ": " + err.Error()
		} else if len(r.Body) > 0 {
			detail += ": " + strings.TrimSpace(string(r.Body[:min(len(r.Body), 160)]))
		}
		fl := failure{At: time.Now(), What: detail, Latency: lat}
		if r != nil {
			fl.Status, fl.RetryAfter = r.Status, r.Header.Get("Retry-After")
		}
		l.failures = append(l.failures, fl)
	}
	l.mu.Unlock()
	return ok
}

// halt stops the workers and waits for them.
func (l *load) halt() { l.stop.Store(true); l.wg.Wait() }

// failuresBetween answers the failures outside [from, to].
func (l *load) failuresOutside(from, to time.Time) []failure {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []failure
	for _, f := range l.failures {
		if f.At.Before(from) || f.At.After(to) {
			out = append(out, f)
		}
	}
	return out
}

// examples answers up to n failures as text.
func (l *load) examples(n int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, f := range l.failures[:min(n, len(l.failures))] {
		out = append(out, f.At.Format("15:04:05.000")+" "+f.What)
	}
	return out
}

// String answers the answers by route and status.
func (l *load) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	keys := make([]string, 0, len(l.statuses))
	for k := range l.statuses {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s:%d ", k, l.statuses[k])
	}
	return strings.TrimSpace(b.String())
}

// verifyJobs waits up to d until every accepted document is processed
// (read from Postgres) and answers "accepted N processed N".
func (l *load) verifyJobs(t *testing.T, d time.Duration) string {
	t.Helper()
	l.mu.Lock()
	ids := slices.Clone(l.docs)
	l.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), d+10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, l.f.DSN)
	if err != nil {
		t.Fatalf("jobs: %v", err)
	}
	defer conn.Close(context.Background())
	var done int
	waitFor(d, func() bool {
		err = conn.QueryRow(ctx, "SELECT count(*) FROM documents WHERE id::text = ANY($1) AND status = 'processed'", ids).Scan(&done)
		return err != nil || done == len(ids)
	})
	if err != nil {
		t.Fatalf("jobs: %v", err)
	}
	res := fmt.Sprintf("accepted %d processed %d", len(ids), done)
	if done != len(ids) {
		var left []string
		rows, _ := conn.Query(ctx, "SELECT id::text || ' ' || status FROM documents WHERE id::text = ANY($1) AND status <> 'processed' LIMIT 5", ids)
		for rows.Next() {
			var s string
			_ = rows.Scan(&s)
			left = append(left, s)
		}
		rows.Close()
		t.Errorf("jobs: %s within %v; want every accepted job run (e.g. %q)", res, d, left)
	}
	return res
}

// realtime is one organization client on /ws/realtime-sync through the
// balancer, reconnecting as the browser client does.
type realtime struct {
	connects atomic.Int64 // handshakes completed ("connected" read)
	up       atomic.Bool  // a connection is open now
	calls    atomic.Int64 // call_completed events read
	lastCall atomic.Int64 // unix ns of the last call_completed
}

// startRealtime connects n clients of c's organization through url, with
// c's session cookie.
func startRealtime(t *testing.T, url string, c *harness.Client, n int) []*realtime {
	t.Helper()
	return startRealtimeWith(t, url, "", map[string][]string{"Cookie": {harness.SessionCookie + "=" + c.SID}}, n)
}

// startRealtimeWith connects n clients through url with query (e.g.
// "?token=...") and hdr.
func startRealtimeWith(t *testing.T, url, query string, hdr map[string][]string, n int) []*realtime {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	ws := "ws://" + strings.TrimPrefix(url, "http://") + "/ws/realtime-sync" + query
	out := make([]*realtime, n)
	for k := range out {
		rt := &realtime{}
		out[k] = rt
		cfg := wsclient.ReconnectConfig{URL: ws, Header: hdr,
			Backoff: wsclient.Backoff{Initial: 50 * time.Millisecond, Max: 500 * time.Millisecond}}
		wg.Go(func() {
			_ = wsclient.Reconnect(ctx, cfg, func(ctx context.Context, conn *wsclient.Conn) error {
				stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
				defer stop()
				defer rt.up.Store(false)
				for {
					var m struct{ Type string }
					if err := conn.ReadJSON(&m); err != nil {
						return err
					}
					switch m.Type {
					case "connected":
						rt.connects.Add(1)
						rt.up.Store(true)
					case "call_completed":
						rt.calls.Add(1)
						rt.lastCall.Store(time.Now().UnixNano())
					}
				}
			})
		})
	}
	if !waitFor(10*time.Second, func() bool { return allUp(out) }) {
		t.Fatalf("realtime: not every client connected through %s within 10s", url)
	}
	return out
}

func allUp(rts []*realtime) bool {
	for _, rt := range rts {
		if !rt.up.Load() {
			return false
		}
	}
	return true
}

// checkRealtime: every client is connected, reconnected at least
// minConnects-1 times, and reads a call_completed sent after since.
func checkRealtime(t *testing.T, rts []*realtime, minConnects int64, since time.Time) string {
	t.Helper()
	ok := waitFor(10*time.Second, func() bool {
		for _, rt := range rts {
			if !rt.up.Load() || rt.lastCall.Load() < since.UnixNano() {
				return false
			}
		}
		return true
	})
	var connects []int64
	minC := int64(1 << 62)
	for _, rt := range rts {
		connects = append(connects, rt.connects.Load())
		minC = min(minC, rt.connects.Load())
	}
	res := fmt.Sprintf("clients %d connects %v", len(rts), connects)
	if !ok {
		t.Errorf("realtime: %s: not every client is connected and receiving events 10s after the faults", res)
	}
	if minC < minConnects {
		t.Errorf("realtime: %s: want every client to have connected at least %d times", res, minConnects)
	}
	return res
}

// goroutines answers the go_goroutines gauge of i (0 when unreachable).
func goroutines(i *harness.Instance) float64 {
	r, err := harness.NewClient().Do("GET", i.URL+"/metrics", nil)
	if err != nil || r.Status != 200 {
		return 0
	}
	return harness.Metric(r.Body, "go_goroutines")
}

// window sums the answers that ended in [from, to]: how many, how many
// failed, and the slowest.
func (l *load) window(from, to time.Time) (n, failed int, slowest time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, a := range l.answers {
		if a.At.Before(from) || a.At.After(to) {
			continue
		}
		n++
		if !a.OK {
			failed++
		}
		slowest = max(slowest, a.Latency)
	}
	return n, failed, slowest
}

// finish stops the load, sends one more call (the realtime clients must
// receive it), checks the ledger and the jobs, and then the realtime clients
// (each connected at least minConnects times and receiving events).
func (l *load) finish(t *testing.T, rts []*realtime, minConnects int64) (ledger ledgerResult, jobs, rt string) {
	t.Helper()
	l.halt()
	after := time.Now()
	_, _ = l.led.send(harness.NewClient(), l.url)
	ledger = l.led.verify(t, l.url, l.f.DSN, 10*time.Second)
	jobs = l.verifyJobs(t, 20*time.Second)
	rt = checkRealtime(t, rts, minConnects, after)
	return ledger, jobs, rt
}
