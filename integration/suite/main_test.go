package suite_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/integration/harness"
	"github.com/echosenseix/echosenseix/internal/stack"
)

func TestMain(m *testing.M) { harness.Main(m) }

// deployment is one test's Postgres database, private Redis, seed data and
// running instances.
type deployment struct {
	DSN   string
	Redis *stack.RedisServer
	Seed  *harness.SeedData
	Org   harness.SeedOrg  // the first organization
	User  harness.SeedUser // its first user
	Insts []*harness.Instance
}

// deploy creates a fresh database and a private redis-server, seeds orgs
// organizations (users and agents each), and starts n instances with DATABASE_URL,
// REDIS_URL and env.
func deploy(t *testing.T, n, orgs, users, agents int, env map[string]string) *deployment {
	t.Helper()
	d := &deployment{DSN: stack.Postgres(t), Redis: stack.NewRedisServer(t)}
	d.Seed = harness.Seed(t, d.DSN, orgs, users, agents)
	d.Org = d.Seed.Organizations[0]
	if len(d.Org.Users) > 0 {
		d.User = d.Org.Users[0]
	}
	all := map[string]string{"DATABASE_URL": d.DSN, "REDIS_URL": harness.RedisURL(d.Redis.Addr)}
	for k, v := range env {
		all[k] = v
	}
	d.Insts = harness.StartInstances(t, n, all)
	return d
}

// redisProviders puts cache, sessions and queue on Redis.
var redisProviders = map[string]string{"CACHE_PROVIDER": "redis", "SESSION_STORE": "redis", "QUEUE_PROVIDER": "redis"}

func agentURL(i *harness.Instance, id string) string { return i.URL + "/api/agents/" + id }

// agentName answers the name in a GET /api/agents/:id answer.
func agentName(t *testing.T, r *harness.Response) string {
	t.Helper()
	var a struct {
		Name string `json:"name"`
	}
	if err := r.JSON(&a); err != nil {
		t.Fatal(err)
	}
	return a.Name
}

// latencies summarises durations for the logs.
type latencies []time.Duration

func (l latencies) String() string {
	if len(l) == 0 {
		return "n=0"
	}
	s := slices.Clone(l)
	slices.Sort(s)
	return fmt.Sprintf("n=%d min=%v p50=%v max=%v", len(s), s[0].Round(time.Microsecond),
		s[len(s)/2].Round(time.Microsecond), s[len(s)-1].Round(time.Microsecond))
}

func (l latencies) max() time.Duration {
	if len(l) == 0 {
		return 0
	}
	return slices.Max(l)
}

// tally counts answers by status (0 = transport error) and keeps examples
// of unexpected ones.
type tally struct {
	mu       sync.Mutex
	byStatus map[int]int
	bad      []string
}

func newTally() *tally { return &tally{byStatus: map[int]int{}} }

// add records r (or err); want lists the statuses that count as success.
func (t *tally) add(what string, r *harness.Response, err error, want ...int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		t.byStatus[0]++
		if len(t.bad) < 10 {
			t.bad = append(t.bad, what+": "+err.Error())
		}
		return false
	}
	t.byStatus[r.Status]++
	if slices.Contains(want, r.Status) {
		return true
	}
	if len(t.bad) < 10 {
		t.bad = append(t.bad, what+": "+r.String())
	}
	return false
}

func (t *tally) count(pred func(status int) bool) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for s, c := range t.byStatus {
		if pred(s) {
			n += c
		}
	}
	return n
}

func (t *tally) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	keys := make([]int, 0, len(t.byStatus))
	for k := range t.byStatus {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%d:%d ", k, t.byStatus[k])
	}
	if len(t.bad) > 0 {
		fmt.Fprintf(&b, "examples: %q", t.bad)
	}
	return strings.TrimSpace(b.String())
}

// cookieHeader is the handshake header carrying c's session cookie.
func cookieHeader(c *harness.Client) http.Header {
	return http.Header{"Cookie": {harness.SessionCookie + "=" + c.SID}}
}

// metrics answers an instance's /metrics body.
func metrics(t *testing.T, i *harness.Instance) []byte {
	t.Helper()
	return harness.NewClient().Must(t, 200, "GET", i.URL+"/metrics", nil).Body
}
