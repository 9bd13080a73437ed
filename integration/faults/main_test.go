package faults_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/integration/harness"
	"github.com/echosenseix/echosenseix/integration/lb"
	"github.com/echosenseix/echosenseix/internal/stack"
)

func TestMain(m *testing.M) { harness.Main(m) }

// instances is the size of the fleet, as in the guide's diagram.
const instances = 3

// fleetOpts shape one deployment.
type fleetOpts struct {
	kind lb.Kind
	env  map[string]string
	// privatePG gives the fleet its own Postgres server (to stop it);
	// otherwise a database on the shared one.
	privatePG bool
	// dbURL and redisURL, when set, map the real addresses to what the
	// instances are given (a fault-injecting proxy in between).
	dbURL    func(dsn string) string
	redisURL func(addr string) string
	agents   int
	// persistentRedis runs Redis with an fsync'd append-only file.
	persistentRedis bool
}

// fleet is one deployment: its stores, seed and instances behind a balancer.
type fleet struct {
	DSN   string // the fleet's database, direct
	PG    *stack.PostgresServer
	Redis *stack.RedisServer
	Seed  *harness.SeedData
	Org   harness.SeedOrg
	Insts []*harness.Instance
	LB    *lb.Balancer
}

// fleetEnv is every instance's environment: sessions, cache and queue in
// Redis (a session must work on every instance behind the balancer).
var fleetEnv = map[string]string{
	"SESSION_STORE": "redis", "CACHE_PROVIDER": "redis", "QUEUE_PROVIDER": "redis",
	"DATABASE_MAX_CONNECTIONS": "6", "LOG_LEVEL": "warn",
}

func newFleet(t *testing.T, o fleetOpts) *fleet {
	t.Helper()
	f := &fleet{}
	if o.persistentRedis {
		f.Redis = stack.NewPersistentRedisServer(t)
	} else {
		f.Redis = stack.NewRedisServer(t)
	}
	if o.privatePG {
		f.PG = stack.NewPostgresServer(t)
		dsn, drop, err := stack.CreateDatabase(context.Background(), f.PG.AdminURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(drop)
		f.DSN = dsn
	} else {
		f.DSN = stack.Postgres(t)
	}
	if o.agents == 0 {
		o.agents = 2
	}
	f.Seed = harness.Seed(t, f.DSN, 1, 4, o.agents)
	f.Org = f.Seed.Organizations[0]
	env := maps.Clone(fleetEnv)
	env["DATABASE_URL"] = f.DSN
	if o.dbURL != nil {
		env["DATABASE_URL"] = o.dbURL(f.DSN)
	}
	env["REDIS_URL"] = harness.RedisURL(f.Redis.Addr)
	if o.redisURL != nil {
		env["REDIS_URL"] = o.redisURL(f.Redis.Addr)
	}
	env["SHUTDOWN_DRAIN_DELAY"] = fmt.Sprint(drainDelay(t, o.kind).Milliseconds())
	if os.Getenv("FAULTS_CLUSTER") == "1" {
		env["CLUSTER_ENABLED"], env["CLUSTER_WORKERS"] = "true", "2"
	}
	maps.Copy(env, o.env)
	f.Insts = harness.StartInstances(t, instances, env)
	ports := make([]int, len(f.Insts))
	for k, i := range f.Insts {
		ports[k] = i.Port
	}
	f.LB = lb.Start(t, o.kind, ports)
	return f
}

// drainDelay is SHUTDOWN_DRAIN_DELAY matched to the balancer, as the
// deployment guide sets it: past haproxy's detection (inter x fall, it
// reads /health/ready) with 500 ms to spare; 1 s for nginx, whose passive
// checks never read readiness (a refused connection is retried on the next
// server), so draining only lets in-flight requests end.
func drainDelay(t *testing.T, k lb.Kind) time.Duration {
	t.Helper()
	if k.Name == "haproxy" {
		b := &lb.Balancer{Kind: k, Config: lb.DeployFile(t, k.File)}
		return b.DetectionBound(t) + 500*time.Millisecond
	}
	return time.Second
}

// login logs the org's user k in through url and answers the client.
func (f *fleet) login(t *testing.T, url string, k int) *harness.Client {
	t.Helper()
	u := f.Org.Users[k%len(f.Org.Users)]
	c := harness.NewClient()
	r := c.Must(t, 200, "POST", url+"/api/login", map[string]string{"email": u.Email, "password": u.Password})
	for _, ck := range (&http.Response{Header: r.Header}).Cookies() {
		if ck.Name == harness.SessionCookie {
			c.SID = ck.Value
		}
	}
	if c.SID == "" {
		t.Fatalf("login through %s: no session cookie", url)
	}
	return c
}

// summary is the one line a scenario prints.
type summary struct {
	Scenario  string
	Requests  int64
	Failures  int64
	Ledger    string
	Jobs      string
	Realtime  string
	Staleness string
	Notes     []string
}

var summaryMu sync.Mutex

// report prints s (always, verbose or not) and appends it to
// $FAULTS_SUMMARY.
func (s summary) report(t *testing.T) {
	t.Helper()
	line := fmt.Sprintf("FAULTS %s: requests=%d failures=%d", s.Scenario, s.Requests, s.Failures)
	for _, kv := range [][2]string{{"ledger", s.Ledger}, {"jobs", s.Jobs}, {"realtime", s.Realtime}, {"staleness", s.Staleness}} {
		if kv[1] != "" {
			line += " " + kv[0] + "=" + quoteIfSpace(kv[1])
		}
	}
	if len(s.Notes) > 0 {
		line += " | " + strings.Join(s.Notes, "; ")
	}
	if t.Failed() {
		line += " [FAILED]"
	}
	t.Log(line)
	summaryMu.Lock()
	defer summaryMu.Unlock()
	fmt.Fprintln(os.Stderr, line)
	if p := os.Getenv("FAULTS_SUMMARY"); p != "" {
		if fh, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			fmt.Fprintln(fh, line)
			_ = fh.Close()
		}
	}
}

func quoteIfSpace(s string) string {
	if strings.ContainsAny(s, " ") {
		return "[" + s + "]"
	}
	return s
}

// waitFor polls cond every 20 ms until it holds or d passes.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cond()
}

// logLines logs the lines of every instance's log that contain sub (at
// most 5 per instance): the server's own account of an unexpected answer.
func (f *fleet) logLines(t *testing.T, sub string) {
	t.Helper()
	for _, i := range f.Insts {
		n := 0
		for line := range strings.Lines(i.Log()) {
			if strings.Contains(line, sub) && n < 5 {
				n++
				t.Logf("%s: %s", i.Name, strings.TrimSpace(line))
			}
		}
	}
}
