package archmap

import (
	"regexp"
	"sort"
	"strings"
)

// plannedHeading starts the section whose rows may name packages that do
// not exist yet (they are being added on other branches).
const plannedHeading = "## Planned packages"

// rowRE matches a map row: "| `path` | what it owns |".
var rowRE = regexp.MustCompile("^\\|\\s*`([a-z0-9_./-]+)`\\s*\\|")

// Map is the package map of docs/architecture.md.
type Map struct {
	Named   map[string]bool // rows outside the planned section
	Planned map[string]bool // rows of the planned section
}

// ParseMap reads the package rows of the page; a row's section decides
// whether it is named or planned.
func ParseMap(text string) Map {
	m := Map{Named: map[string]bool{}, Planned: map[string]bool{}}
	planned := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "## ") {
			planned = strings.TrimSpace(line) == plannedHeading
			continue
		}
		sub := rowRE.FindStringSubmatch(line)
		if sub == nil {
			continue
		}
		if planned {
			m.Planned[sub[1]] = true
		} else {
			m.Named[sub[1]] = true
		}
	}
	return m
}

// Unnamed returns the packages that exist but that the map names nowhere
// (neither named nor planned), sorted.
func (m Map) Unnamed(pkgs []string) []string {
	var out []string
	for _, p := range pkgs {
		if !m.Named[p] && !m.Planned[p] {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// Stale returns the named (not planned) packages that do not exist, sorted.
func (m Map) Stale(pkgs []string) []string {
	exists := map[string]bool{}
	for _, p := range pkgs {
		exists[p] = true
	}
	var out []string
	for p := range m.Named {
		if !exists[p] {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}
