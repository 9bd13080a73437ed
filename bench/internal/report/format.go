package report

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// fmtNum prints a number with 3 significant digits and k/M suffixes.
func fmtNum(v float64) string {
	a := math.Abs(v)
	switch {
	case math.IsInf(v, 0) || math.IsNaN(v):
		return strconv.FormatFloat(v, 'f', -1, 64)
	case a >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', sig(a/1e6), 64) + "M"
	case a >= 1e4:
		return strconv.FormatFloat(v/1e3, 'f', sig(a/1e3), 64) + "k"
	}
	return strconv.FormatFloat(v, 'f', sig(a), 64)
}

func sig(a float64) int {
	switch {
	case a == 0 || a >= 100:
		return 0
	case a >= 10:
		return 1
	case a >= 1:
		return 2
	}
	return 3
}

// FormatValue prints v in unit for people: seconds scaled to ns/µs/ms.
func FormatValue(v float64, unit string) string {
	if rest, ok := strings.CutPrefix(unit, "sec"); ok {
		a := math.Abs(v)
		switch {
		case a == 0:
			return "0 s" + rest
		case a < 1e-6:
			return fmtNum(v*1e9) + " ns" + rest
		case a < 1e-3:
			return fmtNum(v*1e6) + " µs" + rest
		case a < 1:
			return fmtNum(v*1e3) + " ms" + rest
		}
		return fmtNum(v) + " s" + rest
	}
	if unit == "ratio" {
		return fmtRatio(v)
	}
	return fmtNum(v) + " " + unit
}

func fmtRatio(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) + "×" }

// cellStat prints a Stat as "median ±spread%".
func cellStat(s *Stat, unit string) string {
	if s == nil {
		return "—"
	}
	out := FormatValue(s.Median, unit)
	if s.N > 1 {
		out += fmt.Sprintf(" ±%.0f%%", s.Spread()*100)
	}
	return out
}

func cellRatio(s *Stat) string {
	if s == nil {
		return "—"
	}
	if s.N > 1 {
		return fmt.Sprintf("%s (%s–%s)", fmtRatio(s.Median), strconv.FormatFloat(s.Min, 'f', 2, 64), strconv.FormatFloat(s.Max, 'f', 2, 64))
	}
	return fmtRatio(s.Median)
}

// Cells are the printed columns of a row: benchmark, ours, peer or ceiling,
// ratio, allocs or CPU, goal.
func (r Row) Cells() [6]string {
	ours := cellStat(r.Ours, r.Unit)
	if r.P99 > 0 {
		ours += " (p99 " + FormatValue(r.P99, "sec") + ")"
	}
	peer := "—"
	if r.PeerLabel != "" {
		peer = r.PeerLabel + ": " + cellStat(r.Peer, r.Unit)
		if r.Peer == nil {
			peer = r.PeerLabel + ": not run"
		}
	}
	goal := r.GoalText()
	if r.Verdict != "" {
		goal += " → " + r.Verdict
	}
	return [6]string{r.Title, ours, peer, cellRatio(r.Ratio), r.Cost, goal}
}

// Headers of the table.
var Headers = [6]string{"benchmark", "ours", "peer or ceiling", "ratio (>1 = ours better)", "allocs/op or server CPU/req", "goal"}

// Markdown writes the rows as one Markdown table.
func Markdown(w io.Writer, rows []Row) {
	fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(Headers[:], " | "), strings.Repeat("---|", len(Headers)))
	for _, r := range rows {
		c := r.Cells()
		for i := range c {
			c[i] = strings.ReplaceAll(c[i], "|", "\\|")
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(c[:], " | "))
	}
}

// BenchLine is one benchmark result line in the Go benchmark format.
type BenchLine struct {
	Name   string // without the "Benchmark" prefix
	Iters  int64
	Values []Value
}

// Value is one value and its unit on a BenchLine.
type Value struct {
	V    float64
	Unit string
}

// WriteBenchfmt writes config lines ("key: value", sorted by key) and then
// the lines, in the format benchstat reads. Spaces in names become '_'.
func WriteBenchfmt(w io.Writer, config map[string]string, lines []BenchLine) error {
	keys := make([]string, 0, len(config))
	for k := range config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\n", strings.ReplaceAll(k, " ", "-"), strings.ReplaceAll(config[k], "\n", " "))
	}
	for _, l := range lines {
		name := strings.Join(strings.Fields(l.Name), "_")
		fmt.Fprintf(&b, "Benchmark%s\t%d", name, max(l.Iters, 1))
		for _, v := range l.Values {
			fmt.Fprintf(&b, "\t%s %s", strconv.FormatFloat(v.V, 'g', 6, 64), v.Unit)
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}
