package loadgen

import (
	"fmt"
	"html"
	"math"
	"os"
	"path/filepath"
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

func verdict(pass bool) string {
	if pass {
		return "PASS"
	}
	return "FAIL"
}

// Summary renders r as Markdown: the machine, a table per request type and
// the threshold checks.
func Summary(r *Result) string {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "# %s: %s\n\n", r.Name, verdict(r.Pass))
	fmt.Fprintf(&b, "Started %s, measured %.0f s, %d generator process(es).  \n", r.Start.Format("2006-01-02 15:04:05 MST"), r.Seconds, r.Processes)
	fmt.Fprintf(&b, "Machine: %s, %d CPU (%s), %.1f GiB, kernel %s, %s.  \n", m.Hostname, m.NumCPU, m.CPUModel,
		float64(m.MemBytes)/(1<<30), m.Kernel, m.GoVersion)
	if r.Host != nil {
		b.WriteString(r.Host.Markdown())
	}
	fmt.Fprintf(&b, "CPU: generator %.1f s, server %.1f s.\n\n", r.GeneratorCPUSeconds, r.ServerCPUSeconds)
	b.WriteString("| type | requests | rps | errors | error rate | p50 ms | p90 ms | p95 ms | p99 ms | max ms |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	row := func(name string, req, errs int64, rate, rps float64, p Percentiles) {
		fmt.Fprintf(&b, "| %s | %d | %.1f | %d | %.4f%% | %.2f | %.2f | %.2f | %.2f | %.2f |\n",
			name, req, rps, errs, 100*rate, p.P50, p.P90, p.P95, p.P99, p.Max)
	}
	for _, name := range r.TypeNames() {
		t := r.Types[name]
		label := name
		if unjudged[name] {
			label += " (not judged)"
		}
		row(label, t.Requests, t.Errors, t.ErrorRate, t.RPS, t.Latency)
	}
	row("**total (judged)**", r.Requests, r.Errors, r.ErrorRate, r.RPS, r.Latency)
	if len(r.ErrorKinds) > 0 {
		b.WriteString("\nErrors by kind: ")
		for k, v := range r.ErrorKinds {
			fmt.Fprintf(&b, "%s %d; ", k, v)
		}
		b.WriteString("\n")
	}
	s := r.Sockets
	if s.Opened+s.Failed > 0 {
		fmt.Fprintf(&b, "\nSockets: opened %d, failed %d, dropped %d, open at end %d, messages %d (call_completed %d).\n",
			s.Opened, s.Failed, s.Dropped, s.OpenAtEnd, s.Messages, s.CallCompleted)
	}
	if len(r.Checks) > 0 {
		b.WriteString("\n| threshold | limit | got | verdict |\n|---|---:|---:|---|\n")
		for _, c := range r.Checks {
			fmt.Fprintf(&b, "| %s | %g | %.4g | %s |\n", c.Name, c.Limit, c.Got, verdict(c.Pass))
		}
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

// HTML renders a self-contained page (inline SVG and CSS, no scripts).
func HTML(r *Result) string {
	var b strings.Builder
	b.WriteString("<!doctype html><html><head><meta charset=\"utf-8\"><title>")
	b.WriteString(html.EscapeString(r.Name))
	b.WriteString("</title><style>body{font-family:sans-serif;max-width:980px;margin:2em auto}table{border-collapse:collapse}" +
		"td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}.PASS{color:#2ca02c}.FAIL{color:#d62728}</style></head><body>")
	fmt.Fprintf(&b, "<h1>%s: <span class=\"%s\">%s</span></h1>", html.EscapeString(r.Name), verdict(r.Pass), verdict(r.Pass))
	b.WriteString("<pre>" + html.EscapeString(Summary(r)) + "</pre>")
	for _, svg := range Charts(r) {
		b.WriteString("<div>" + svg + "</div>")
	}
	b.WriteString("</body></html>\n")
	return b.String()
}
