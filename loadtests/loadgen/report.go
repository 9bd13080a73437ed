package loadgen

import (
	"fmt"
	"html"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// WriteReports writes results.json, summary.md and report.html into dir.
func WriteReports(dir string, r *Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create report dir: %w", err)
	}
	if err := r.WriteFile(filepath.Join(dir, "results.json"), false); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "summary.md"), []byte(Summary(r)), 0o644); err != nil {
		return fmt.Errorf("cannot write summary: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.html"), []byte(HTML(r)), 0o644); err != nil {
		return fmt.Errorf("cannot write html report: %w", err)
	}
	return nil
}

// WriteHTML writes dir/report.html from the run's results.json (or
// results.json.gz, as committed under loadtests/results): the page is
// regenerable from the figures.
func WriteHTML(dir string) error {
	path := filepath.Join(dir, "results.json")
	if _, err := os.Stat(path); err != nil {
		path += ".gz"
	}
	r, err := ReadResult(path)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.html"), []byte(HTML(r)), 0o644); err != nil {
		return fmt.Errorf("cannot write html report: %w", err)
	}
	return nil
}

func verdict(pass bool) string {
	if pass {
		return "PASS"
	}
	return "FAIL"
}

// summary is what summary.md and report.html both show, rendered by each
// in its own markup.
type summary struct {
	title, verdict string
	header         string // the lines about the run, the machine and the CPU
	types, checks  table
	errorKinds     string
	sockets        string
}

// table is a header, per-column alignment (true: right) and rows; a bold row
// is a total.
type table struct {
	head  []string
	right []bool
	rows  [][]string
	bold  []bool
}

func (t *table) add(bold bool, cells ...string) {
	t.rows = append(t.rows, cells)
	t.bold = append(t.bold, bold)
}

func summarize(r *Result) summary {
	s := summary{title: r.Name, verdict: verdict(r.Pass)}
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "Started %s, measured %.0f s, %d generator process(es).  \n", r.Start.Format("2006-01-02 15:04:05 MST"), r.Seconds, r.Processes)
	fmt.Fprintf(&b, "Machine: %s, %d CPU (%s), %.1f GiB, kernel %s, %s.  \n", m.Hostname, m.NumCPU, m.CPUModel,
		float64(m.MemBytes)/(1<<30), m.Kernel, m.GoVersion)
	if r.Host != nil {
		b.WriteString(r.Host.Markdown())
	}
	fmt.Fprintf(&b, "CPU: generator %.1f s, server %.1f s.\n", r.GeneratorCPUSeconds, r.ServerCPUSeconds)
	s.header = b.String()
	s.types = table{
		head:  []string{"type", "requests", "rps", "errors", "error rate", "p50 ms", "p90 ms", "p95 ms", "p99 ms", "max ms"},
		right: []bool{false, true, true, true, true, true, true, true, true, true},
	}
	row := func(bold bool, name string, req, errs int64, rate, rps float64, p Percentiles) {
		s.types.add(bold, name, fmt.Sprint(req), fmt.Sprintf("%.1f", rps), fmt.Sprint(errs), fmt.Sprintf("%.4f%%", 100*rate),
			fmt.Sprintf("%.2f", p.P50), fmt.Sprintf("%.2f", p.P90), fmt.Sprintf("%.2f", p.P95), fmt.Sprintf("%.2f", p.P99), fmt.Sprintf("%.2f", p.Max))
	}
	for _, name := range r.TypeNames() {
		t := r.Types[name]
		label := name
		if unjudged[name] {
			label += " (not judged)"
		}
		row(false, label, t.Requests, t.Errors, t.ErrorRate, t.RPS, t.Latency)
	}
	row(true, "total (judged)", r.Requests, r.Errors, r.ErrorRate, r.RPS, r.Latency)
	if len(r.ErrorKinds) > 0 {
		var e strings.Builder
		for _, k := range slices.Sorted(maps.Keys(r.ErrorKinds)) {
			fmt.Fprintf(&e, "%s %d; ", k, r.ErrorKinds[k])
		}
		s.errorKinds = e.String()
	}
	if so := r.Sockets; so.Opened+so.Failed > 0 {
		s.sockets = fmt.Sprintf("Sockets: opened %d, failed %d, dropped %d, open at end %d, messages %d (call_completed %d).",
			so.Opened, so.Failed, so.Dropped, so.OpenAtEnd, so.Messages, so.CallCompleted)
	}
	s.checks = table{head: []string{"threshold", "limit", "got", "verdict"}, right: []bool{false, true, true, false}}
	for _, c := range r.Checks {
		s.checks.add(false, c.Name, fmt.Sprintf("%g", c.Limit), fmt.Sprintf("%.4g", c.Got), verdict(c.Pass))
	}
	return s
}

func (t *table) markdown(b *strings.Builder) {
	b.WriteString("| " + strings.Join(t.head, " | ") + " |\n|")
	for _, r := range t.right {
		if r {
			b.WriteString("---:|")
		} else {
			b.WriteString("---|")
		}
	}
	b.WriteString("\n")
	for i, cells := range t.rows {
		if t.bold[i] {
			cells = append([]string{"**" + cells[0] + "**"}, cells[1:]...)
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
}

// html writes t on one line: the page is generated, not read as source.
func (t *table) html(b *strings.Builder) {
	cell := func(tag string, i int, v string, bold bool) {
		align := "l"
		if t.right[i] {
			align = "r"
		}
		v = html.EscapeString(v)
		if bold {
			v = "<b>" + v + "</b>"
		}
		fmt.Fprintf(b, "<%s class=%s>%s</%s>", tag, align, v, tag)
	}
	b.WriteString("<table><tr>")
	for i, h := range t.head {
		cell("th", i, h, false)
	}
	b.WriteString("</tr>")
	for r, cells := range t.rows {
		b.WriteString("<tr>")
		for i, v := range cells {
			cell("td", i, v, t.bold[r])
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</table>")
}

// Summary renders r as Markdown: the machine, a table per request type and
// the threshold checks.
func Summary(r *Result) string {
	s := summarize(r)
	var b strings.Builder
	fmt.Fprintf(&b, "# %s: %s\n\n", s.title, s.verdict)
	b.WriteString(s.header + "\n")
	s.types.markdown(&b)
	if s.errorKinds != "" {
		b.WriteString("\nErrors by kind: " + s.errorKinds + "\n")
	}
	if s.sockets != "" {
		b.WriteString("\n" + s.sockets + "\n")
	}
	if len(s.checks.rows) > 0 {
		b.WriteString("\n")
		s.checks.markdown(&b)
	}
	return b.String()
}

// series is one line of a chart.
type series struct {
	name  string
	color string
	ys    []float64
}

// svgChart draws lines over the timeseries as a self-contained SVG.
func svgChart(title, unit string, ss []series) string {
	const w, h, left, right, top, bottom = 720.0, 240.0, 60.0, 140.0, 28.0, 30.0
	n, ymax := 0, 0.0
	for _, s := range ss {
		n = max(n, len(s.ys))
		for _, y := range s.ys {
			ymax = math.Max(ymax, y)
		}
	}
	if ymax == 0 {
		ymax = 1
	}
	pw, ph := w-left-right, h-top-bottom
	x := func(i int) float64 { return left + pw*float64(i)/math.Max(float64(n-1), 1) }
	y := func(v float64) float64 { return top + ph*(1-v/ymax) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" font-family="sans-serif" font-size="11">`, w, h, w, h)
	fmt.Fprintf(&b, `<text x="%g" y="16" font-size="13" font-weight="bold">%s</text>`, left, html.EscapeString(title))
	fmt.Fprintf(&b, `<rect x="%g" y="%g" width="%g" height="%g" fill="none" stroke="#ccc"/>`, left, top, pw, ph)
	for i := 0; i <= 4; i++ {
		v := ymax * float64(i) / 4
		fmt.Fprintf(&b, `<line x1="%g" x2="%g" y1="%.1f" y2="%.1f" stroke="#eee"/><text x="%g" y="%.1f" text-anchor="end">%.4g</text>`,
			left, left+pw, y(v), y(v), left-4, y(v)+4, v)
	}
	fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="middle">seconds (%d)</text>`, left+pw/2, h-6, n)
	fmt.Fprintf(&b, `<text x="12" y="%g" transform="rotate(-90 12 %g)" text-anchor="middle">%s</text>`, top+ph/2, top+ph/2, html.EscapeString(unit))
	for k, s := range ss {
		var pts []string
		for i, v := range s.ys {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(v)))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`, s.color, strings.Join(pts, " "))
		fmt.Fprintf(&b, `<rect x="%g" y="%g" width="10" height="10" fill="%s"/><text x="%g" y="%g">%s</text>`,
			w-right+10, top+float64(k)*16, s.color, w-right+24, top+float64(k)*16+9, html.EscapeString(s.name))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func column(ts []Second, f func(Second) float64) []float64 {
	out := make([]float64, len(ts))
	for i, s := range ts {
		out[i] = f(s)
	}
	return out
}

// Charts returns the report's SVG charts: latency percentiles, throughput,
// errors, and connections/users/sockets over time.
func Charts(r *Result) []string {
	ts := r.Timeseries
	return []string{
		svgChart("Latency percentiles per second", "ms", []series{
			{"p50", "#1f77b4", column(ts, func(s Second) float64 { return s.P50 })},
			{"p90", "#2ca02c", column(ts, func(s Second) float64 { return s.P90 })},
			{"p99", "#d62728", column(ts, func(s Second) float64 { return s.P99 })},
			{"max", "#999999", column(ts, func(s Second) float64 { return s.Max })},
		}),
		svgChart("Throughput", "requests/s", []series{
			{"requests/s", "#1f77b4", column(ts, func(s Second) float64 { return float64(s.Requests) })},
		}),
		svgChart("Errors", "errors/s", []series{
			{"errors/s", "#d62728", column(ts, func(s Second) float64 { return float64(s.Errors) })},
		}),
		svgChart("Connections", "count", []series{
			{"http conns", "#1f77b4", column(ts, func(s Second) float64 { return float64(s.Conns) })},
			{"users", "#2ca02c", column(ts, func(s Second) float64 { return float64(s.Users) })},
			{"sockets", "#9467bd", column(ts, func(s Second) float64 { return float64(s.Sockets) })},
		}),
	}
}

// HTML renders a self-contained page (inline SVG and CSS, no scripts): the
// figures of summary.md as HTML tables, then the charts. Apart from the
// final newline it is one line, as the charts are.
func HTML(r *Result) string {
	s := summarize(r)
	var b strings.Builder
	b.WriteString("<!doctype html><html><head><meta charset=\"utf-8\"><title>")
	b.WriteString(html.EscapeString(s.title))
	b.WriteString("</title><style>body{font-family:sans-serif;max-width:980px;margin:2em auto}table{border-collapse:collapse;margin:1em 0}" +
		"td,th{border:1px solid #ccc;padding:2px 6px}.r{text-align:right}.l{text-align:left}.PASS{color:#2ca02c}.FAIL{color:#d62728}</style></head><body>")
	fmt.Fprintf(&b, "<h1>%s: <span class=\"%s\">%s</span></h1>", html.EscapeString(s.title), s.verdict, s.verdict)
	header := strings.TrimSuffix(strings.ReplaceAll(s.header, "  \n", "\n"), "\n")
	b.WriteString("<p>" + strings.ReplaceAll(html.EscapeString(header), "\n", "<br>") + "</p>")
	s.types.html(&b)
	if s.errorKinds != "" {
		b.WriteString("<p>Errors by kind: " + html.EscapeString(s.errorKinds) + "</p>")
	}
	if s.sockets != "" {
		b.WriteString("<p>" + html.EscapeString(s.sockets) + "</p>")
	}
	if len(s.checks.rows) > 0 {
		s.checks.html(&b)
	}
	for _, svg := range Charts(r) {
		b.WriteString("<div>" + svg + "</div>")
	}
	b.WriteString("</body></html>\n")
	return b.String()
}
