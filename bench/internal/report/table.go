package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Goal is a pass/fail target on a row: Metric is "ratio" (the row's ratio
// median), "allocs" (ours' allocs/op median) or "p99" (ours' p99 in
// seconds); Op is ">=" or "<=".
type Goal struct {
	Metric string  `json:"metric"`
	Op     string  `json:"op"`
	Value  float64 `json:"value"`
	Text   string  `json:"text"`
}

// RowSpec says how to build one table row from measurements by name.
type RowSpec struct {
	Title     string
	Ours      string // Measurement.Key
	Peer      string // Measurement.Key; "" for none
	PeerLabel string // what the peer is: "nginx static", "net/http peer", ...
	Goals     []Goal
}

// Row is one line of the table. Ratio > 1 means ours is better.
type Row struct {
	Title     string  `json:"title"`
	Unit      string  `json:"unit"`
	Ours      *Stat   `json:"ours,omitempty"`
	Peer      *Stat   `json:"peer,omitempty"`
	PeerLabel string  `json:"peerLabel,omitempty"`
	Ratio     *Stat   `json:"ratio,omitempty"`
	Cost      string  `json:"cost"`
	Goals     []Goal  `json:"goals,omitempty"`
	Verdict   string  `json:"verdict,omitempty"` // "pass", "FAIL", "n/a" or ""
	P99       float64 `json:"p99Sec,omitempty"`
	Allocs    *Stat   `json:"allocs,omitempty"`
}

// BuildRows builds the rows of specs whose ours measurement exists (a row
// whose peer is missing keeps ours and no ratio).
func BuildRows(ms []Measurement, specs []RowSpec) []Row {
	byName := map[string]*Measurement{}
	for i := range ms {
		byName[ms[i].Key()] = &ms[i]
	}
	var rows []Row
	for _, sp := range specs {
		o := byName[sp.Ours]
		if o == nil || len(o.Samples) == 0 {
			continue
		}
		r := Row{Title: sp.Title, Unit: o.Unit, PeerLabel: sp.PeerLabel, Goals: sp.Goals}
		os := Summarize(o.Samples)
		r.Ours = &os
		if a, ok := o.Extra["allocs/op"]; ok {
			as := Summarize(a)
			r.Allocs = &as
		}
		if p, ok := o.Extra["p99-sec"]; ok {
			r.P99 = Summarize(p).Median
		}
		p := byName[sp.Peer]
		if p != nil && len(p.Samples) > 0 {
			ps := Summarize(p.Samples)
			r.Peer = &ps
			if rs := Ratio(o.Samples, p.Samples, o.Unit); rs.N > 0 {
				r.Ratio = &rs
			}
		}
		r.Cost = cost(o, p)
		r.Verdict = verdict(r)
		rows = append(rows, r)
	}
	return rows
}

func cost(o, p *Measurement) string {
	if a, ok := o.Extra["allocs/op"]; ok {
		s := fmtCount(Summarize(a).Median) + " allocs"
		if p != nil {
			if pa, ok := p.Extra["allocs/op"]; ok {
				s += " vs " + fmtCount(Summarize(pa).Median)
			}
		}
		return s
	}
	if c, ok := o.Extra["server-cpu-sec/op"]; ok {
		s := fmtMicros(Summarize(c).Median)
		if p != nil {
			if pc, ok := p.Extra["server-cpu-sec/op"]; ok {
				s += " vs " + fmtMicros(Summarize(pc).Median)
			}
		}
		if g, ok := o.Extra["gen-cpu-sec/op"]; ok {
			s += " (gen " + fmtMicros(Summarize(g).Median) + ")"
		}
		return s
	}
	return ""
}

// fmtCount prints whole numbers without decimals (allocations).
func fmtCount(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e4 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return fmtNum(v)
}

func fmtMicros(sec float64) string { return fmt.Sprintf("%.1f µs", sec*1e6) }

// verdict evaluates every goal: "pass" when all hold, "FAIL" when one does
// not, "n/a" when a figure the goal needs is missing.
func verdict(r Row) string {
	if len(r.Goals) == 0 {
		return ""
	}
	for _, g := range r.Goals {
		var v float64
		switch {
		case g.Metric == "ratio" && r.Ratio != nil:
			v = r.Ratio.Median
		case g.Metric == "allocs" && r.Allocs != nil:
			v = r.Allocs.Median
		case g.Metric == "p99" && r.P99 > 0:
			v = r.P99
		default:
			return "n/a"
		}
		if (g.Op == ">=" && v < g.Value) || (g.Op == "<=" && v > g.Value) {
			return "FAIL"
		}
	}
	return "pass"
}

// GoalText joins a row's goal texts.
func (r Row) GoalText() string {
	var s []string
	for _, g := range r.Goals {
		s = append(s, g.Text)
	}
	return strings.Join(s, "; ")
}
