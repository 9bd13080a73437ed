package dashboards

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestGeneratedJSONUpToDate fails when a committed file under json/ differs
// from what the generator writes, or when json/ holds a file it does not.
func TestGeneratedJSONUpToDate(t *testing.T) {
	want := map[string]bool{}
	for _, s := range All() {
		want[s.File] = true
		got, err := Render(s)
		if err != nil {
			t.Fatalf("render %s: %v", s.File, err)
		}
		committed, err := os.ReadFile(filepath.Join("json", s.File))
		if err != nil {
			t.Fatalf("read json/%s: %v (run `go run ./dashboards/cmd/gen`)", s.File, err)
		}
		if !bytes.Equal(got, committed) {
			t.Errorf("json/%s differs from the generator output; run `go run ./dashboards/cmd/gen` and commit", s.File)
		}
	}
	files, _ := filepath.Glob(filepath.Join("json", "*"))
	for _, f := range files {
		if !want[filepath.Base(f)] {
			t.Errorf("json/%s is not written by the generator; remove it", filepath.Base(f))
		}
	}
}

// board is the part of a dashboard JSON the structural check reads.
type board struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID          int     `json:"id"`
	Type        string  `json:"type"`
	Title       string  `json:"title"`
	Datasource  *dsRef  `json:"datasource"`
	FieldConfig *fields `json:"fieldConfig"`
	Targets     []struct {
		Datasource *dsRef `json:"datasource"`
		Expr       string `json:"expr"`
	} `json:"targets"`
}

type dsRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type fields struct {
	Defaults struct {
		Unit string `json:"unit"`
	} `json:"defaults"`
}

func loadBoards(t *testing.T) map[string]board {
	t.Helper()
	out := map[string]board{}
	for _, s := range All() {
		b, err := os.ReadFile(filepath.Join("json", s.File))
		if err != nil {
			t.Fatalf("read json/%s: %v", s.File, err)
		}
		var d board
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("decode json/%s: %v", s.File, err)
		}
		out[s.File] = d
	}
	return out
}

var (
	fixedWindow  = regexp.MustCompile(`\[[0-9]+[smhdwy]\]`)
	instanceHard = regexp.MustCompile(`instance\s*(=|!=|!~)\s*"|instance\s*=~\s*"[^$]`)
)

// TestDashboardStructure checks every generated dashboard: unique panel ids
// and uids, the datasource variable on every panel and query, a unit on
// every panel, the datasource/job/instance variables, rate windows as
// $__rate_interval and no hard-coded instance.
func TestDashboardStructure(t *testing.T) {
	uids := map[string]string{}
	for file, d := range loadBoards(t) {
		if prev, ok := uids[d.UID]; ok || d.UID == "" {
			t.Errorf("%s: uid %q; want unique and set (also used by %s)", file, d.UID, prev)
		}
		uids[d.UID] = file
		var vars []string
		for _, v := range d.Templating.List {
			vars = append(vars, v.Name)
		}
		if !slices.Equal(vars, []string{"datasource", "job", "instance"}) {
			t.Errorf("%s: variables %v; want [datasource job instance]", file, vars)
		}
		ids := map[int]string{}
		queries := 0
		for _, p := range d.Panels {
			if prev, ok := ids[p.ID]; ok || p.ID == 0 {
				t.Errorf("%s: panel %q id %d; want unique and non-zero (also %q)", file, p.Title, p.ID, prev)
			}
			ids[p.ID] = p.Title
			if p.Type == "row" {
				continue
			}
			checkPanel(t, file, p)
			queries += len(p.Targets)
		}
		if queries == 0 {
			t.Errorf("%s: no queries", file)
		}
	}
}

func checkPanel(t *testing.T, file string, p panel) {
	t.Helper()
	if p.Datasource == nil || p.Datasource.UID != "${datasource}" || p.Datasource.Type != "prometheus" {
		t.Errorf("%s / %s: datasource %+v; want prometheus ${datasource}", file, p.Title, p.Datasource)
	}
	if p.FieldConfig == nil || p.FieldConfig.Defaults.Unit == "" {
		t.Errorf("%s / %s: no unit", file, p.Title)
	}
	if len(p.Targets) == 0 {
		t.Errorf("%s / %s: no query", file, p.Title)
	}
	for _, q := range p.Targets {
		if q.Datasource == nil || q.Datasource.UID != "${datasource}" {
			t.Errorf("%s / %s: query %q without the datasource variable", file, p.Title, q.Expr)
		}
		if w := fixedWindow.FindString(q.Expr); w != "" {
			t.Errorf("%s / %s: fixed window %s in %q; want [$__rate_interval]", file, p.Title, w, q.Expr)
		}
		if instanceHard.MatchString(q.Expr) {
			t.Errorf("%s / %s: hard-coded instance in %q", file, p.Title, q.Expr)
		}
		if strings.Contains(q.Expr, "rate(") && !strings.Contains(q.Expr, "[$__rate_interval]") {
			t.Errorf("%s / %s: rate without $__rate_interval in %q", file, p.Title, q.Expr)
		}
	}
}
