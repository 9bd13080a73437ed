package dashboards

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
)

// evalRateInterval stands in for Grafana's $__rate_interval in the proof:
// four 1 s scrapes plus margin, as Grafana computes it for such a source.
const evalRateInterval = "10s"

// promql parses as Prometheus does by default.
var promql = parser.NewParser(parser.Options{})

// expression is one PromQL expression of a panel, a variable or an alert.
type expression struct {
	where  string // "overview.json / Requests per route", "alert EchoSenseiXRedisDown"
	expr   string // as written, with Grafana variables
	exempt string // why its data is not required (parsed all the same)
}

// allExpressions lists every panel query, every variable's metric and
// every alert of alerts.yml.
func allExpressions(t *testing.T) []expression {
	t.Helper()
	var out []expression
	for _, s := range All() {
		out = append(out, expression{where: s.File + " / variables", expr: "group by (job, instance) (" + s.Anchor + ")", exempt: s.Exempt})
		for _, r := range s.Rows {
			for _, p := range r.Panels {
				for _, q := range p.Queries {
					out = append(out, expression{where: s.File + " / " + p.Title, expr: q.Expr, exempt: s.Exempt})
				}
			}
		}
	}
	alerts := readAlerts(t)
	for _, name := range slices.Sorted(maps.Keys(alerts)) {
		out = append(out, expression{where: "alert " + name, expr: alerts[name]})
	}
	return out
}

var grafanaVar = regexp.MustCompile(`\$(__rate_interval|__interval|__range|job|instance|\{[a-z_]+\})`)

// substitute replaces Grafana's variables: the rate interval by
// evalRateInterval, job and instance by "All" (".+").
func substitute(expr string) (string, error) {
	var bad []string
	out := grafanaVar.ReplaceAllStringFunc(expr, func(v string) string {
		switch v {
		case "$__rate_interval":
			return evalRateInterval
		case "$job", "$instance":
			return ".+"
		}
		bad = append(bad, v)
		return v
	})
	if len(bad) > 0 {
		return "", fmt.Errorf("unknown variables %v", bad)
	}
	if strings.Contains(out, "$") {
		return "", fmt.Errorf("unsubstituted variable in %q", out)
	}
	return out, nil
}

// probe is what the proof evaluates for one expression: the whole
// expression with every comparison turned into its "bool" form (an alert
// that is not firing still returns its series), and each selector alone (a
// metric hidden behind "or" must exist too).
type probe struct {
	whole     string
	selectors []string
}

func newProbe(expr string) (probe, error) {
	s, err := substitute(expr)
	if err != nil {
		return probe{}, err
	}
	e, err := promql.ParseExpr(s)
	if err != nil {
		return probe{}, fmt.Errorf("cannot parse %q: %w", s, err)
	}
	var p probe
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.BinaryExpr:
			if n.Op.IsComparisonOperator() {
				n.ReturnBool = true
			}
		case *parser.VectorSelector:
			sel := "count(" + n.String() + ")"
			if !slices.Contains(p.selectors, sel) {
				p.selectors = append(p.selectors, sel)
			}
		}
		return nil
	})
	p.whole = e.String()
	return p, nil
}

// metricNames answers the metric names the expression selects.
func metricNames(expr string) ([]string, error) {
	s, err := substitute(expr)
	if err != nil {
		return nil, err
	}
	e, err := promql.ParseExpr(s)
	if err != nil {
		return nil, fmt.Errorf("cannot parse %q: %w", s, err)
	}
	var names []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok && vs.Name != "" {
			names = append(names, vs.Name)
		}
		return nil
	})
	return names, nil
}

// TestExpressionsParse parses every expression offline (the proof against a
// real Prometheus repeats this there) and checks that probes keep alerts
// evaluable when quiet.
func TestExpressionsParse(t *testing.T) {
	n := 0
	for _, e := range allExpressions(t) {
		p, err := newProbe(e.expr)
		if err != nil {
			t.Errorf("%s: %v", e.where, err)
			continue
		}
		if len(p.selectors) == 0 {
			t.Errorf("%s: %q selects no metric", e.where, e.expr)
		}
		n++
	}
	if n < 100 {
		t.Errorf("parsed %d expressions; want the ~150 of the dashboards and alerts", n)
	}
	cases := []struct{ in, want string }{
		{`redis_up == 0`, `redis_up == bool 0`},
		{`rate(x{job=~"$job"}[$__rate_interval]) > 1`, `rate(x{job=~".+"}[10s]) > bool 1`},
	}
	for _, c := range cases {
		p, err := newProbe(c.in)
		if err != nil || p.whole != c.want {
			t.Errorf("probe(%q) = %q, %v; want %q", c.in, p.whole, err, c.want)
		}
	}
	p, err := newProbe(`(a{x="1"} or b * 0) / b`)
	want := []string{`count(a{x="1"})`, "count(b)"}
	if err != nil || !slices.Equal(p.selectors, want) {
		t.Errorf("probe selectors = %v, %v; want %v (each selector once, both sides of or)", p.selectors, err, want)
	}
	for _, bad := range []string{`rate(x[$__interval_typo])`, `sum(x{job=~"$jb"})`, `sum(x`} {
		if _, err := newProbe(bad); err == nil {
			t.Errorf("probe(%q): no error; want an unknown-variable or parse error", bad)
		}
	}
}

// TestExporterNamesPinned checks that every exporter metric a dashboard or
// alert names is in the pinned list of exporterMetrics (the proof then
// checks the installed exporters still export each).
func TestExporterNamesPinned(t *testing.T) {
	pinned := map[string]bool{}
	for _, names := range exporterMetrics {
		for _, n := range names {
			pinned[n] = true
		}
	}
	used := map[string]bool{}
	for _, e := range allExpressions(t) {
		names, err := metricNames(e.expr)
		if err != nil {
			t.Fatalf("%s: %v", e.where, err)
		}
		for _, n := range names {
			if strings.HasPrefix(n, "pg_") || strings.HasPrefix(n, "redis_") || strings.HasPrefix(n, "node_") {
				used[n] = true
				if !pinned[n] {
					t.Errorf("%s uses %s, which exporterMetrics does not pin", e.where, n)
				}
			}
		}
	}
	for n := range pinned {
		if !used[n] {
			t.Errorf("exporterMetrics pins %s, which no dashboard or alert uses", n)
		}
	}
}

// alertTier is the load tier whose thresholds the latency and error alerts
// use.
const alertTier = "10k"

// TestAlertThresholdsMatchTier keeps the error-ratio and p99 alerts at the
// thresholds of loadtests/tiers/tiers.json, so the two cannot drift apart.
func TestAlertThresholdsMatchTier(t *testing.T) {
	b, err := os.ReadFile("../loadtests/tiers/tiers.json")
	if err != nil {
		t.Fatalf("read tiers.json: %v", err)
	}
	var f struct {
		Tiers map[string]struct {
			Thresholds struct {
				MaxErrorRate float64 `json:"maxErrorRate"`
				P99Ms        float64 `json:"p99Ms"`
			} `json:"thresholds"`
		} `json:"tiers"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("decode tiers.json: %v", err)
	}
	tier, ok := f.Tiers[alertTier]
	if !ok {
		t.Fatalf("tiers.json has no tier %s", alertTier)
	}
	alerts := readAlerts(t)
	for _, c := range []struct {
		alert string
		want  float64
	}{
		{"EchoSenseiXErrorRatioHigh", tier.Thresholds.MaxErrorRate},
		{"EchoSenseiXLatencyP99High", tier.Thresholds.P99Ms / 1000},
	} {
		if got, err := threshold(alerts[c.alert]); err != nil || got != c.want {
			t.Errorf("%s threshold = %v (%v); want %v from tier %s", c.alert, got, err, c.want, alertTier)
		}
	}
}

// threshold answers the number on the right of an alert's top-level
// comparison.
func threshold(expr string) (float64, error) {
	e, err := promql.ParseExpr(expr)
	if err != nil {
		return 0, err
	}
	be, ok := e.(*parser.BinaryExpr)
	if !ok || !be.Op.IsComparisonOperator() {
		return 0, fmt.Errorf("%q is not a comparison", expr)
	}
	n, ok := be.RHS.(*parser.NumberLiteral)
	if !ok {
		return 0, fmt.Errorf("%q does not compare with a number", expr)
	}
	return n.Val, nil
}
