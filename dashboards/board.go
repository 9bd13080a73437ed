package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// Sel is the label matcher every server-side query carries: the job and
// instance chosen in the dashboard's variables.
const Sel = `job=~"$job", instance=~"$instance"`

// RateWindow is the window of every rate(): Grafana's $__rate_interval
// (at least four scrape intervals), never a fixed duration.
const RateWindow = "$__rate_interval"

// datasourceVar is the name of the Prometheus datasource variable.
const datasourceVar = "datasource"

// Datasource is the reference every panel and query carries.
func Datasource() common.DataSourceRef {
	return common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${" + datasourceVar + "}")}
}

// Query is one panel target: a PromQL expression and its legend.
type Query struct {
	Expr   string
	Legend string
}

// Q is a Query with a legend.
func Q(expr, legend string) Query { return Query{Expr: expr, Legend: legend} }

// Panel is one typed panel before it is built: a time series by default, a
// stat when Stat is set.
type Panel struct {
	Title   string
	Desc    string
	Unit    string // Grafana unit id: s, reqps, percentunit, bytes, short, ...
	Stat    bool
	Width   uint32 // grid columns of 24; 0 = 12 (8 for a stat)
	Queries []Query
}

// Spec is one dashboard: where it is written, what it shows, and the
// metric its job/instance variables list.
type Spec struct {
	File   string // json/<File>
	UID    string
	Title  string
	Desc   string
	Anchor string // metric whose job and instance labels feed the variables
	Rows   []Row
	// Exempt names why the "every expression returns data" proof skips this
	// dashboard's queries; empty means it is checked.
	Exempt string
}

// Row is a titled group of panels.
type Row struct {
	Title  string
	Panels []Panel
}

// Build turns the spec into a Grafana dashboard with the datasource, job
// and instance variables and sequential panel ids. It builds the classic
// dashboard JSON model (schema v1): the one Grafana's file provisioning loads
// on every version; the SDK's dashboardv2 needs Grafana 12 with feature flags.
//
//lint:ignore SA1019 the v1 model is what file provisioning loads (see above)
func (s Spec) Build() (dashboard.Dashboard, error) {
	//lint:ignore SA1019 the v1 model is what file provisioning loads (see above)
	b := dashboard.NewDashboardBuilder(s.Title).
		Uid(s.UID).
		Description(s.Desc).
		Tags([]string{"echosenseix"}).
		Editable().
		Refresh("10s").
		Time("now-1h", "now").
		Timezone(common.TimeZoneBrowser).
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		WithVariable(dashboard.NewDatasourceVariableBuilder(datasourceVar).Label("Prometheus").Type("prometheus")).
		WithVariable(queryVar("job", "Job", fmt.Sprintf("label_values(%s, job)", s.Anchor))).
		WithVariable(queryVar("instance", "Instance", fmt.Sprintf(`label_values(%s{job=~"$job"}, instance)`, s.Anchor)))
	id := uint32(0)
	for _, r := range s.Rows {
		id++
		b = b.WithRow(dashboard.NewRowBuilder(r.Title).Id(id))
		for _, p := range r.Panels {
			id++
			b = b.WithPanel(p.builder(id))
		}
	}
	d, err := b.Build()
	if err != nil {
		return d, fmt.Errorf("cannot build dashboard %s: %w", s.Title, err)
	}
	return d, nil
}

// queryVar is a multi-value variable listing label values, "All" by default.
func queryVar(name, label, query string) *dashboard.QueryVariableBuilder {
	return dashboard.NewQueryVariableBuilder(name).
		Label(label).
		Query(dashboard.StringOrMap{String: cog.ToPtr(query)}).
		Definition(query).
		Datasource(Datasource()).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortAlphabeticalAsc).
		Multi(true).
		IncludeAll(true).
		AllValue(".+").
		Current(dashboard.VariableOption{
			Selected: cog.ToPtr(true),
			Text:     dashboard.StringOrArrayOfString{ArrayOfString: []string{"All"}},
			Value:    dashboard.StringOrArrayOfString{ArrayOfString: []string{"$__all"}},
		})
}

func (p Panel) targets() []cog.Builder[variants.Dataquery] {
	out := make([]cog.Builder[variants.Dataquery], 0, len(p.Queries))
	for i, q := range p.Queries {
		out = append(out, prometheus.NewDataqueryBuilder().
			Datasource(Datasource()).
			Expr(q.Expr).
			LegendFormat(q.Legend).
			RefId(string(rune('A'+i))))
	}
	return out
}

func (p Panel) builder(id uint32) cog.Builder[dashboard.Panel] {
	if p.Stat {
		w := p.Width
		if w == 0 {
			w = 8
		}
		return stat.NewPanelBuilder().Id(id).Title(p.Title).Description(p.Desc).
			Datasource(Datasource()).Unit(p.Unit).Span(w).Height(5).
			GraphMode(common.BigValueGraphModeArea).
			ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
			Targets(p.targets())
	}
	w := p.Width
	if w == 0 {
		w = 12
	}
	return timeseries.NewPanelBuilder().Id(id).Title(p.Title).Description(p.Desc).
		Datasource(Datasource()).Unit(p.Unit).Span(w).Height(8).
		FillOpacity(10).
		Legend(common.NewVizLegendOptionsBuilder().DisplayMode(common.LegendDisplayModeTable).Placement(common.LegendPlacementBottom).ShowLegend(true)).
		Targets(p.targets())
}
