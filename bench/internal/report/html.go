package report

import (
	"fmt"
	"html"
	"io"
	"math"
	"sort"
	"strings"
)

// Chart geometry of the ratio bars (log scale).
const (
	chartLabelW = 360
	chartBarW   = 520
	chartRowH   = 22
	chartMin    = 0.1
)

// HTML writes a self-contained page (no external assets): a log-scale bar
// chart of every row's ratio as inline SVG, with 1× and goal marks, then the
// table, the environment and notes.
func HTML(w io.Writer, title string, env map[string]string, rows []Row, notes []string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>%s</title>\n", html.EscapeString(title))
	b.WriteString(`<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}` +
		`td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f4f4f4}.pass{color:#1a7f37}.FAIL{color:#c62828;font-weight:bold}</style>` + "\n")
	fmt.Fprintf(&b, "</head><body>\n<h1>%s</h1>\n", html.EscapeString(title))
	b.WriteString(ratioSVG(rows))
	b.WriteString("\n<h2>Table</h2>\n<table>\n<tr>")
	for _, h := range Headers {
		fmt.Fprintf(&b, "<th>%s</th>", html.EscapeString(h))
	}
	b.WriteString("</tr>\n")
	for _, r := range rows {
		b.WriteString("<tr>")
		for i, c := range r.Cells() {
			if i == len(Headers)-1 && r.Verdict != "" {
				fmt.Fprintf(&b, "<td class=%q>%s</td>", r.Verdict, html.EscapeString(c))
				continue
			}
			fmt.Fprintf(&b, "<td>%s</td>", html.EscapeString(c))
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table>\n<h2>Environment</h2>\n<table>\n")
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "<tr><th>%s</th><td>%s</td></tr>\n", html.EscapeString(k), html.EscapeString(env[k]))
	}
	b.WriteString("</table>\n")
	if len(notes) > 0 {
		b.WriteString("<h2>Notes</h2>\n<ul>\n")
		for _, n := range notes {
			fmt.Fprintf(&b, "<li>%s</li>\n", html.EscapeString(n))
		}
		b.WriteString("</ul>\n")
	}
	b.WriteString("</body></html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// ratioSVG draws one bar per row with a ratio.
func ratioSVG(rows []Row) string {
	var with []Row
	top := 10.0
	for _, r := range rows {
		if r.Ratio != nil && r.Ratio.Median > 0 && !math.IsInf(r.Ratio.Median, 0) {
			with = append(with, r)
			top = math.Max(top, r.Ratio.Max*1.2)
		}
	}
	if len(with) == 0 {
		return "<p>No ratios measured.</p>\n"
	}
	x := func(v float64) float64 {
		v = math.Max(v, chartMin)
		return chartLabelW + chartBarW*math.Log10(v/chartMin)/math.Log10(top/chartMin)
	}
	h := chartRowH*len(with) + 40
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-size="12" role="img" aria-label="ratios">`+"\n",
		chartLabelW+chartBarW+60, h)
	for _, tick := range []float64{0.1, 0.5, 1, 2, 5, 10, 20, 50, 100} {
		if tick > top {
			break
		}
		fmt.Fprintf(&b, `<line x1="%.1f" y1="10" x2="%.1f" y2="%d" stroke="%s"/><text x="%.1f" y="%d" text-anchor="middle">%g×</text>`+"\n",
			x(tick), x(tick), h-20, map[bool]string{true: "#444", false: "#ddd"}[tick == 1], x(tick), h-6, tick)
	}
	for i, r := range with {
		y := 12 + i*chartRowH
		color := map[string]string{"pass": "#2e7d32", "FAIL": "#c62828"}[r.Verdict]
		if color == "" {
			color = "#1565c0"
		}
		label := r.Title
		if r.PeerLabel != "" {
			label += " vs " + r.PeerLabel
		}
		short := label
		if r := []rune(label); len(r) > 56 {
			short = string(r[:55]) + "…"
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end"><title>%s</title>%s</text>`, chartLabelW-6, y+13,
			html.EscapeString(label), html.EscapeString(short))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s</title></rect>`,
			chartLabelW, y+2, x(r.Ratio.Median)-chartLabelW, chartRowH-6, color, html.EscapeString(cellRatio(r.Ratio)))
		if r.Ratio.N > 1 {
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#000"/>`, x(r.Ratio.Min), y+9, x(r.Ratio.Max), y+9)
		}
		for _, g := range r.Goals {
			if g.Metric == "ratio" {
				fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ff9800" stroke-width="3"><title>goal %s</title></line>`,
					x(g.Value), y, x(g.Value), y+chartRowH-2, html.EscapeString(g.Text))
			}
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d">%s</text>`+"\n", x(r.Ratio.Max)+4, y+13, fmtRatio(r.Ratio.Median))
	}
	b.WriteString("</svg>\n")
	return b.String()
}
