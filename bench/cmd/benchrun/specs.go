package main

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/echosenseix/echosenseix/bench/internal/report"
)

// macroRow is a table row over HTTP measurements, with the id of its
// per-round ratio lines in macro.txt (BenchmarkRatio/<id>).
type macroRow struct {
	id   string
	spec report.RowSpec
}

func httpName(ep string, conns int, srv string) string {
	return "HTTP/ep=" + ep + "/c=" + itoa(conns) + "/srv=" + srv
}

func ratioGoal(min float64) report.Goal {
	return report.Goal{Metric: "ratio", Op: ">=", Value: min, Text: "≥ " + trimFloat(min) + "×"}
}

func trimFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// macroRows are the HTTP rows and their goals (the goal list).
func macroRows(c, big int) []macroRow {
	h := func(ep, srv string) string { return httpName(ep, c, srv) }
	b := func(ep, srv string) string { return httpName(ep, big, srv) }
	p99 := report.Goal{Metric: "p99", Op: "<=", Value: 0.050, Text: "p99 ≤ 50 ms"}
	return []macroRow{
		{"health-live/ours-vs-nginx", report.RowSpec{Title: "GET /health/live c" + itoa(c), Ours: h("health-live", "ours"),
			Peer: h("health-live", "nginx"), PeerLabel: "nginx static 200", Goals: []report.Goal{ratioGoal(0.7)}}},
		{"health-live/ours-vs-peer", report.RowSpec{Title: "GET /health/live c" + itoa(c), Ours: h("health-live", "ours"),
			Peer: h("health-live", "peer"), PeerLabel: "net/http peer", Goals: []report.Goal{ratioGoal(1.5)}}},
		{"agent/ours-vs-health-live", report.RowSpec{Title: "GET /api/agents/:id cached c" + itoa(c), Ours: h("agent", "ours"),
			Peer: h("health-live", "ours"), PeerLabel: "our /health/live", Goals: []report.Goal{ratioGoal(0.8)}}},
		{"health-live/ours-vs-hertz", report.RowSpec{Title: "GET /health/live c" + itoa(c), Ours: h("health-live", "ours"),
			Peer: h("health-live", "hertz"), PeerLabel: "bare hertz", Goals: []report.Goal{ratioGoal(1)}}},
		{"agent/ours-vs-hertz", report.RowSpec{Title: "GET /api/agents/:id cached c" + itoa(c), Ours: h("agent", "ours"),
			Peer: h("agent", "hertz"), PeerLabel: "bare hertz, same bytes, no session check"}},
		{"health-live/c=" + itoa(big) + "/ours-vs-hertz", report.RowSpec{Title: "GET /health/live c" + itoa(big), Ours: b("health-live", "ours"),
			Peer: b("health-live", "hertz"), PeerLabel: "bare hertz", Goals: []report.Goal{ratioGoal(1)}}},
		{"health-live/c=" + itoa(big) + "/ours-vs-peer", report.RowSpec{Title: "GET /health/live c" + itoa(big), Ours: b("health-live", "ours"),
			Peer: b("health-live", "peer"), PeerLabel: "net/http peer", Goals: []report.Goal{ratioGoal(1.5)}}},
		{"health-live/c=" + itoa(big) + "/ours-vs-nginx", report.RowSpec{Title: "GET /health/live c" + itoa(big), Ours: b("health-live", "ours"),
			Peer: b("health-live", "nginx"), PeerLabel: "nginx static 200"}},
		{"agent/c=" + itoa(big) + "/ours-vs-health-live", report.RowSpec{Title: "GET /api/agents/:id cached c" + itoa(big), Ours: b("agent", "ours"),
			Peer: b("health-live", "ours"), PeerLabel: "our /health/live", Goals: []report.Goal{ratioGoal(0.9)}}},
		{"agent/c=" + itoa(big) + "/ours-vs-hertz", report.RowSpec{Title: "GET /api/agents/:id cached c" + itoa(big), Ours: b("agent", "ours"),
			Peer: b("agent", "hertz"), PeerLabel: "bare hertz, same bytes, no session check"}},
		{"agent/ours-vs-peer", report.RowSpec{Title: "GET /api/agents/:id cached c" + itoa(c), Ours: h("agent", "ours"),
			Peer: h("agent", "peer"), PeerLabel: "net/http peer", Goals: []report.Goal{ratioGoal(1.5)}}},
		{"page/ours-vs-peer", report.RowSpec{Title: "page load (4 GETs) c" + itoa(c), Ours: h("page", "ours"),
			Peer: h("page", "peer"), PeerLabel: "net/http peer", Goals: []report.Goal{ratioGoal(1.5)}}},
		{"agent/redis-vs-memory", report.RowSpec{Title: "GET /api/agents/:id CACHE_PROVIDER=redis c" + itoa(c), Ours: h("agent", "ours-redis"),
			Peer: h("agent", "ours"), PeerLabel: "CACHE_PROVIDER=memory"}},
		{"agent/redis-sessions-vs-memory", report.RowSpec{Title: "GET /api/agents/:id SESSION_STORE=redis CACHE_PROVIDER=redis c" + itoa(c),
			Ours: h("agent", "ours-redis-sessions"), Peer: h("agent", "ours"), PeerLabel: "memory sessions and cache",
			Goals: []report.Goal{ratioGoal(0.8)}}},
		{"health-live/tracing-on-vs-off", report.RowSpec{Title: "GET /health/live, tracing on (every request sampled, OTLP export) c" + itoa(c),
			Ours: h("health-live", "ours-tracing"), Peer: h("health-live", "ours"), PeerLabel: "tracing off"}},
		{"agent/tracing-on-vs-off", report.RowSpec{Title: "GET /api/agents/:id cached, tracing on (every request sampled, OTLP export) c" + itoa(c),
			Ours: h("agent", "ours-tracing"), Peer: h("agent", "ours"), PeerLabel: "tracing off"}},
		{"health-live/peer-vs-nginx", report.RowSpec{Title: "net/http peer GET /health/live c" + itoa(c), Ours: h("health-live", "peer"),
			Peer: h("health-live", "nginx"), PeerLabel: "nginx static 200"}},
		{"webhook/c=" + itoa(c) + "/on-vs-off", report.RowSpec{Title: "webhook ingest, group commit, c" + itoa(c), Ours: h("webhook", "batch-on"),
			Peer: h("webhook", "batch-off"), PeerLabel: "single inserts"}},
		{"webhook/c=" + itoa(big) + "/on-vs-off", report.RowSpec{Title: "webhook ingest, group commit, c" + itoa(big), Ours: httpName("webhook", big, "batch-on"),
			Peer: httpName("webhook", big, "batch-off"), PeerLabel: "single inserts", Goals: []report.Goal{ratioGoal(5), p99}}},
		{"webhook/single-vs-pgbench", report.RowSpec{Title: "webhook ingest, single inserts, c" + itoa(c), Ours: h("webhook", "batch-off"),
			Peer: ceilPGInsert, PeerLabel: "pgbench single-row INSERT -c32"}},
		{"webhook/group-vs-pgbench", report.RowSpec{Title: "webhook ingest, group commit, c" + itoa(big), Ours: httpName("webhook", big, "batch-on"),
			Peer: ceilPGInsert, PeerLabel: "pgbench single-row INSERT -c32"}},
	}
}

// Ceiling measurement names.
const (
	ceilPGSelect   = "Ceiling/pgbench/select-only/c=32"
	ceilPGInsert   = "Ceiling/pgbench/insert/c=32"
	ceilRedisGet   = "Ceiling/redis-benchmark/GET/c=50"
	ceilRedisSet   = "Ceiling/redis-benchmark/SET/c=50"
	ceilRedisGetP  = "Ceiling/redis-benchmark/GET/c=50/P=16"
	ceilRedisSetP  = "Ceiling/redis-benchmark/SET/c=50/P=16"
	derivedRTT     = "Derived/redis-cache-get/no-client-side/parallel"
	derivedCSC     = "Derived/redis-cache-get/client-side-hit/parallel"
	redisPkgSuffix = "server/redis"
)

// ceilingRows show the ceilings, and our Redis paths (from the micro
// benchmarks, as operations per second) against them.
func ceilingRows() []report.RowSpec {
	return []report.RowSpec{
		{Title: "Redis cache Get, no client-side cache (parallel, ops/s)", Ours: derivedRTT, Peer: ceilRedisGet, PeerLabel: "redis-benchmark GET -c50"},
		{Title: "Redis cache Get, client-side hit (parallel, ops/s)", Ours: derivedCSC, Peer: ceilRedisGetP, PeerLabel: "redis-benchmark GET -c50 -P16"},
		{Title: "ceiling: redis-benchmark GET -c50", Ours: ceilRedisGet},
		{Title: "ceiling: redis-benchmark SET -c50", Ours: ceilRedisSet},
		{Title: "ceiling: redis-benchmark GET -c50 -P16", Ours: ceilRedisGetP},
		{Title: "ceiling: redis-benchmark SET -c50 -P16", Ours: ceilRedisSetP},
		{Title: "ceiling: pgbench select-only -c32", Ours: ceilPGSelect},
		{Title: "ceiling: pgbench single-row INSERT -c32", Ours: ceilPGInsert},
	}
}

// derived turns the Redis provider's parallel Get benchmarks into ops/s so
// they can stand next to redis-benchmark.
func derived(ms []report.Measurement) []report.Measurement {
	var out []report.Measurement
	for _, m := range ms {
		if m.Kind != "micro" || !strings.HasSuffix(m.Pkg, redisPkgSuffix) {
			continue
		}
		name := map[string]string{
			"RedisCacheGet/no-client-side/parallel":  derivedRTT,
			"RedisCacheGet/client-side-hit/parallel": derivedCSC,
		}[m.Name]
		if name == "" {
			continue
		}
		d := report.Measurement{Name: name, Kind: "derived", Unit: "ops/s", Note: "1 / (" + m.Name + " sec/op)"}
		for _, v := range m.Samples {
			if v > 0 {
				d.Samples = append(d.Samples, 1/v)
			}
		}
		out = append(out, d)
	}
	return out
}

// explicitMicroRows pair micro benchmarks the naming rules cannot: within
// a package, or one provider against the current one in another package
// (RabbitMQ against asynq, NATS JetStream against Redis pub/sub: ratio > 1
// would mean the new provider is faster; it pays for durability instead).
func explicitMicroRows() []report.RowSpec {
	const (
		mod = "github.com/echosenseix/echosenseix/server/"
		gc  = mod + "internal/groupcommit "
		rmq = mod + "rabbitmq "
		aq  = mod + "redis/queue "
		nts = mod + "nats "
		rds = mod + "redis "
	)
	return []report.RowSpec{{Title: "server/internal/groupcommit Ingest: group commit vs one INSERT per request, 256 concurrent",
		Ours: gc + "Ingest/group/default", Peer: gc + "Ingest/disabled", PeerLabel: "single inserts"},
		{Title: "server/rabbitmq QueueAdd/serial: RabbitMQ enqueue (persistent, confirmed) vs asynq",
			Ours: rmq + "QueueAdd/serial", Peer: aq + "QueueAdd/serial", PeerLabel: "asynq (Redis)"},
		{Title: "server/rabbitmq QueueAdd/parallel: RabbitMQ enqueue vs asynq, GOMAXPROCS producers",
			Ours: rmq + "QueueAdd/parallel", Peer: aq + "QueueAdd/parallel", PeerLabel: "asynq (Redis)"},
		{Title: "server/rabbitmq QueueRoundTrip: enqueue to handler run, one job in flight, vs asynq",
			Ours: rmq + "QueueRoundTrip", Peer: aq + "QueueRoundTrip", PeerLabel: "asynq (Redis)"},
		{Title: "server/nats BusFanout/roundtrip: one event to another instance's subscriber, JetStream vs pub/sub",
			Ours: nts + "BusFanout/roundtrip", Peer: rds + "BusFanout/roundtrip", PeerLabel: "Redis pub/sub"},
		{Title: "server/nats BusFanout/publish/parallel: events per second to another instance, JetStream vs pub/sub",
			Ours: nts + "BusFanout/publish/parallel", Peer: rds + "BusFanout/publish/parallel", PeerLabel: "Redis pub/sub"},
	}
}

// Micro pairing: which sub-benchmark is ours and which is its peer.
var pairRules = []report.PairRule{
	{Ours: "sonic", Peer: "encoding_json", Label: "encoding/json"},
	{Ours: "client-side-hit", Peer: "no-client-side", Label: "Redis round trip", Goals: []report.Goal{ratioGoal(10)}},
	{Ours: "client-side-hit", Peer: "memory", Label: "memory provider", Goals: []report.Goal{ratioGoal(0.5)}},
	{Ours: "groupcommit", Peer: "single", Label: "single inserts"},
	{Ours: "group-commit", Peer: "single", Label: "single inserts"},
	{Ours: "batch", Peer: "single", Label: "single inserts"},
	{Ours: "ours", Peer: "peer", Label: "peer"},
	{Ours: "ours", Peer: "library", Label: "library"},
}

// goalRules: zero allocations on the memory provider's cache hit (Get, and
// the read-through helper the handlers use).
var goalRules = []report.GoalRule{
	{Match: regexp.MustCompile(`server/inmem Cache(GetHit|ReadthroughHit)`), Goal: report.Goal{Metric: "allocs", Op: "<=", Value: 0, Text: "0 allocs/op"}},
}
