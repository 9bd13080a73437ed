package report

import (
	"io"
	"regexp"
	"strings"

	"golang.org/x/perf/benchfmt"
)

var procsSuffix = regexp.MustCompile(`-\d+$`)

// ParseGoBench reads `go test -bench` output into micro Measurements, one
// per package and benchmark (GOMAXPROCS suffix dropped), a sample per line,
// through golang.org/x/perf/benchfmt (the reader Compare uses): its tidied
// units make ns/op sec/op (the primary unit) and MB/s B/s; every other unit
// goes to Extra. Lines that are not results are skipped.
func ParseGoBench(r io.Reader) []Measurement {
	var (
		out   []Measurement
		index = map[string]int{}
	)
	br := benchfmt.NewReader(r, "go test -bench")
	for br.Scan() {
		res, ok := br.Result().(*benchfmt.Result)
		if !ok {
			continue
		}
		pkg := res.GetConfig("pkg")
		name := procsSuffix.ReplaceAllString(string(res.Name.Full()), "")
		key := pkg + " " + name
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, Measurement{Name: name, Kind: "micro", Pkg: pkg, Unit: "sec/op", Extra: map[string][]float64{}})
		}
		m := &out[i]
		for _, v := range res.Values {
			if v.Unit == "sec/op" {
				m.Samples = append(m.Samples, v.Value)
			} else {
				m.Extra[v.Unit] = append(m.Extra[v.Unit], v.Value)
			}
		}
	}
	return out
}

// PairRule pairs micro benchmarks of one package whose names differ in one
// path element: .../<Ours>/... against .../<Peer>/..., the peer shown as
// Label, with Goals on the pair's row.
type PairRule struct {
	Ours, Peer, Label string
	Goals             []Goal
}

// GoalRule attaches Goal to micro benchmarks whose Key matches Match.
type GoalRule struct {
	Match *regexp.Regexp
	Goal  Goal
}

// MicroSpecs builds the rows of micro benchmarks: a row per pair found by
// rules (a benchmark may be "ours" in several pairs) and a single row for
// every benchmark in no pair; a benchmark used only as a peer gets no row
// of its own. Titles show the package without the module path.
func MicroSpecs(ms []Measurement, rules []PairRule, goals []GoalRule) []RowSpec {
	exists := map[string]bool{}
	for _, m := range ms {
		if m.Kind == "micro" {
			exists[m.Key()] = true
		}
	}
	usedAsPeer := map[string]bool{}
	type entry struct {
		specs  []RowSpec
		paired bool
	}
	var entries []entry
	for _, m := range ms {
		if m.Kind != "micro" {
			continue
		}
		base := RowSpec{Title: shortPkg(m.Pkg) + " " + m.Name, Ours: m.Key()}
		for _, g := range goals {
			if g.Match.MatchString(m.Key()) {
				base.Goals = append(base.Goals, g.Goal)
			}
		}
		var e entry
		parts := strings.Split(m.Name, "/")
		for _, r := range rules {
			for i, p := range parts {
				if p != r.Ours {
					continue
				}
				alt := append([]string(nil), parts...)
				alt[i] = r.Peer
				peer := Measurement{Pkg: m.Pkg, Name: strings.Join(alt, "/")}.Key()
				if !exists[peer] {
					continue
				}
				sp := base
				sp.Peer, sp.PeerLabel = peer, r.Peer
				if r.Label != "" {
					sp.PeerLabel = r.Label
				}
				sp.Goals = append(append([]Goal(nil), base.Goals...), r.Goals...)
				e.specs = append(e.specs, sp)
				e.paired = true
				usedAsPeer[peer] = true
			}
		}
		if !e.paired {
			e.specs = []RowSpec{base}
		}
		entries = append(entries, e)
	}
	var out []RowSpec
	for _, e := range entries {
		if !e.paired && usedAsPeer[e.specs[0].Ours] {
			continue
		}
		out = append(out, e.specs...)
	}
	return out
}

func shortPkg(pkg string) string {
	const mod = "github.com/echosenseix/echosenseix/"
	return strings.TrimPrefix(pkg, mod)
}
