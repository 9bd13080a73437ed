package deploy

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/echosenseix/echosenseix/integration/harness"
	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/server/httpapi"
)

// TestMetricsPassPromlint lints the /metrics of a server with every provider
// on (Postgres, Redis cache, queue and sessions, two cluster workers):
// promlint may flag nothing but the documented aliases of the guide's queue
// names (httpapi.QueueAliases), and each alias carries the value of the
// conventional series it copies.
func TestMetricsPassPromlint(t *testing.T) {
	rd := stack.NewRedisServer(t)
	inst := harness.StartInstance(t, map[string]string{
		"DATABASE_URL":    stack.Postgres(t),
		"REDIS_URL":       harness.RedisURL(rd.Addr),
		"CACHE_PROVIDER":  "redis",
		"QUEUE_PROVIDER":  "redis",
		"SESSION_STORE":   "redis",
		"CLUSTER_ENABLED": "true",
		"CLUSTER_WORKERS": "2",
	})
	body := get(t, inst.URL+"/metrics")
	problems, err := promlint.New(bytes.NewReader(body)).Lint()
	if err != nil {
		t.Fatalf("promlint cannot parse /metrics: %v", err)
	}
	aliases := 0
	for _, p := range problems {
		if _, ok := httpapi.QueueAliases[p.Metric]; ok && strings.Contains(p.Text, `"_total" suffix`) {
			aliases++
			continue
		}
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	for alias, name := range httpapi.QueueAliases {
		if !hasSeries(body, name) || !hasSeries(body, alias) {
			t.Errorf("/metrics lacks %s or its alias %s", name, alias)
			continue
		}
		if a, n := harness.Metric(body, alias), harness.Metric(body, name); a != n {
			t.Errorf("%s = %v; want the value of %s, %v", alias, a, name, n)
		}
	}
	t.Logf("promlint: %d problems, all of them the %d documented queue aliases", len(problems), aliases)
	t.Logf("%d metric families linted", strings.Count(string(body), "\n# TYPE "))
}

func get(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d %v", url, resp.StatusCode, err)
	}
	return b
}

// hasSeries reports whether a /metrics body has a sample of name.
func hasSeries(body []byte, name string) bool {
	return bytes.Contains(body, []byte("\n"+name+" ")) || bytes.Contains(body, []byte("\n"+name+"{"))
}
