package dashboards

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/integration/harness"
	"github.com/echosenseix/echosenseix/internal/stack"
)

// Bounds of the proof's load.
const (
	// loadWarmup is how long the load runs before the first evaluation:
	// enough 1 s scrapes for every rate over evalRateInterval.
	loadWarmup = 15 * time.Second
	// loadMaxRounds bounds the request rounds (each touches every route).
	loadMaxRounds = 400
	// evalTimeout bounds the evaluation of every expression.
	evalTimeout = 60 * time.Second
)

// hostTextfile stands for `tune check --format prometheus` and the server's
// own host check, read by node_exporter's textfile collector: one setting
// at its profile, one below.
const hostTextfile = `# HELP tuning_setting_ok 1 when the host setting is at or above the tuning profile.
# TYPE tuning_setting_ok gauge
tuning_setting_ok{profile="1k",key="fs.nr_open"} 1
tuning_setting_ok{profile="1k",key="net.core.somaxconn"} 0
# HELP host_setting_ok 1 when the host setting is at or above TUNING_TIER's profile.
# TYPE host_setting_ok gauge
host_setting_ok{key="fs.nr_open"} 1
host_setting_ok{key="net.core.somaxconn"} 0
`

// TestDashboardsAgainstPrometheus is the proof: a real Prometheus scrapes
// the server in cluster mode (two workers on Redis and Postgres with a read
// replica) and the
// node, postgres and redis exporters while a short load touches every
// route; then every expression of every panel, variable and alert must
// parse and return data, and every selector in it must match a series.
func TestDashboardsAgainstPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prometheus, three exporters and the server: not in -short")
	}
	bins := map[string]string{
		"prometheus": tool(t, "prometheus", "prometheus"),
		"node":       tool(t, "prometheus-node-exporter", "prometheus-node-exporter"),
		"postgres":   tool(t, "prometheus-postgres-exporter", "prometheus-postgres-exporter"),
		"redis":      tool(t, "prometheus-redis-exporter", "prometheus-redis-exporter"),
	}
	// A private primary with a streaming replica: the replica series of
	// the Data path board (lag, health, reads by pool) exist.
	pg := stack.NewPostgresReplica(t)
	dsn := pg.PrimaryURL
	rs := stack.NewRedisServer(t)
	seed := harness.Seed(t, dsn, 1, 2, 2)
	inst := harness.StartInstance(t, map[string]string{
		"CLUSTER_ENABLED": "true", "CLUSTER_WORKERS": "2",
		"CACHE_PROVIDER": "redis", "SESSION_STORE": "redis", "QUEUE_PROVIDER": "redis",
		"DATABASE_URL": dsn, "DATABASE_REPLICA_URLS": pg.ReplicaURL, "REDIS_URL": harness.RedisURL(rs.Addr),
		"DATABASE_MAX_CONNECTIONS": "8", "DATABASE_MIN_CONNECTIONS": "2",
		// Small enough that a burst of webhooks is shed with 503: the
		// 5xx series of the error panels and alerts then exist.
		"INGEST_BATCH_MAX_PENDING": "2", "INGEST_BATCH_MAX_WAIT": "20",
	})
	jobs := startExporters(t, bins, dsn, rs.Addr)
	jobs = append(jobs, scrapeJob{job: "echosenseix", addr: strings.TrimPrefix(inst.URL, "http://")})
	// The load generator as a nightly run uses it, serving its own /metrics
	// (the Load tiers dashboard): a bounded open-loop rate beside the driver.
	lg := startProc(t, "loadgen", loadgen.Path(t), "/metrics", nil, "rate", "--url", inst.URL+"/health/live",
		"--rate", "50", "--conns", "2", "--duration", "3m", "--metrics-addr", "{addr}")
	jobs = append(jobs, scrapeJob{job: "loadgen", addr: lg.addr})
	prom := startPrometheus(t, bins["prometheus"], jobs)

	ctx, stop := context.WithCancel(context.Background())
	d := newDriver(t, inst, seed.Organizations[0])
	if n := d.shedBurst(); n == 0 {
		t.Fatalf("no webhook of %d bursts of %d was shed with 503; the 5xx expressions would have no data", burstAttempts, burstSize)
	}
	loadDone := make(chan error, 1)
	go func() { loadDone <- d.run(ctx, loadMaxRounds) }()
	defer func() {
		stop()
		if err := <-loadDone; err != nil {
			t.Errorf("load: %v", err)
		}
		if len(d.failures) > 0 {
			t.Errorf("load: %d unexpected answers, first: %v", len(d.failures), d.failures[:min(5, len(d.failures))])
		}
	}()
	prom.waitTargetsUp(t, len(jobs))
	time.Sleep(loadWarmup) // bounded: the data the rate windows need
	prom.rulesHealthy(t, readAlerts(t))
	checkPinnedExporters(t, prom)
	evaluateAll(t, prom)
}

// startExporters starts node, postgres and redis exporters and answers
// their scrape jobs.
func startExporters(t *testing.T, bins map[string]string, dsn, redisAddr string) []scrapeJob {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "host.prom"), []byte(hostTextfile), 0o644); err != nil {
		t.Fatalf("cannot write the textfile: %v", err)
	}
	node := startProc(t, "node_exporter", bins["node"], "/metrics", nil,
		"--web.listen-address={addr}", "--collector.textfile.directory="+dir, "--no-collector.systemd")
	pg := startProc(t, "postgres_exporter", bins["postgres"], "/metrics", []string{"DATA_SOURCE_NAME=" + dsn},
		"--web.listen-address={addr}")
	rd := startProc(t, "redis_exporter", bins["redis"], "/metrics", nil,
		"-redis.addr=redis://"+redisAddr, "-web.listen-address={addr}")
	return []scrapeJob{{"node", node.addr}, {"postgres", pg.addr}, {"redis", rd.addr}}
}

// startPrometheus runs Prometheus on a temp TSDB scraping jobs every second.
func startPrometheus(t *testing.T, bin string, jobs []scrapeJob) promAPI {
	t.Helper()
	dir := t.TempDir()
	cfg := writePromConfig(t, dir, jobs)
	p := startProc(t, "prometheus", bin, "/-/ready", nil,
		"--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address={addr}", "--storage.tsdb.retention.time=1h", "--log.level=warn")
	return promAPI{base: "http://" + p.addr, c: newAPIClient()}
}

// checkPinnedExporters checks the installed exporters still export every
// pinned name.
func checkPinnedExporters(t *testing.T, prom promAPI) {
	t.Helper()
	for job, names := range exporterMetrics {
		for _, n := range names {
			got, err := prom.query(fmt.Sprintf("count(%s)", n))
			if err != nil || got == 0 {
				t.Errorf("%s exporter: %s returned %d series (%v); want it exported", job, n, got, err)
			}
		}
	}
}

// evaluateAll evaluates every expression through /api/v1/query.
func evaluateAll(t *testing.T, prom promAPI) {
	t.Helper()
	deadline := time.Now().Add(evalTimeout)
	withData, exempt := 0, map[string]int{}
	for _, e := range allExpressions(t) {
		if time.Now().After(deadline) {
			t.Fatalf("evaluation took longer than %v", evalTimeout)
		}
		p, err := newProbe(e.expr)
		if err != nil {
			t.Errorf("%s: %v", e.where, err)
			continue
		}
		n, err := prom.query(p.whole)
		if err != nil {
			t.Errorf("%s: %q: %v", e.where, p.whole, err)
			continue
		}
		if e.exempt != "" {
			exempt[e.exempt]++
			continue
		}
		if n == 0 {
			t.Errorf("%s: %q returned no data", e.where, p.whole)
			continue
		}
		if missing := emptySelectors(prom, p.selectors); len(missing) > 0 {
			t.Errorf("%s: selectors without series: %v", e.where, missing)
			continue
		}
		withData++
	}
	t.Logf("%d expressions evaluated with data", withData)
	for why, n := range exempt {
		t.Logf("%d expressions parsed and evaluated without requiring data (exempt: %s)", n, why)
	}
}

func emptySelectors(prom promAPI, sels []string) []string {
	var out []string
	for _, s := range sels {
		if n, err := prom.query(s); err != nil || n == 0 {
			out = append(out, s)
		}
	}
	return out
}
