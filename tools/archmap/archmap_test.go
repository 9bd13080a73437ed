package archmap

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const mapFile = "../../docs/architecture.md"

// TestMapNamesEveryPackage fails, naming each one, when the module has a
// package that docs/architecture.md does not name.
func TestMapNamesEveryPackage(t *testing.T) {
	m, pkgs, _ := load(t)
	for _, p := range m.Unnamed(pkgs) {
		t.Errorf("package %s exists (go list ./...) but docs/architecture.md does not name it: add the row \"| `%s` | what it owns |\" to its table", p, p)
	}
}

// TestMapNamesOnlyExistingPackages fails, naming each one, when the map
// names a package that does not exist (outside the planned section).
func TestMapNamesOnlyExistingPackages(t *testing.T) {
	m, pkgs, _ := load(t)
	for _, p := range m.Stale(pkgs) {
		t.Errorf("docs/architecture.md names package %s, which go list ./... does not have: remove or rename its row (or move it under %q)", p, plannedHeading)
	}
}

// TestImportsFollowTheRules checks the rules of the page's last section on
// every package's non-test imports.
func TestImportsFollowTheRules(t *testing.T) {
	_, _, imports := load(t)
	for _, v := range Violations(imports) {
		t.Errorf("docs/architecture.md: %s", v)
	}
}

// TestParseAndCompare proves the comparison on a small page: a missing
// package, a stale row and a planned row, each found or allowed as stated.
func TestParseAndCompare(t *testing.T) {
	page := "# x\n\n| package | owns |\n|---|---|\n| `server` | domain |\n| `server/gone` | old |\n" +
		"text mentioning `server/inmem` outside a row\n\n" + plannedHeading + "\n\n| `server/app` | use cases |\n| `internal/seed` | seeds |\n\n## Rules\n| `server/redis` | a row after the planned section |\n"
	m := ParseMap(page)
	pkgs := []string{"server", "server/inmem", "server/app", "server/redis"}
	if got, want := m.Unnamed(pkgs), []string{"server/inmem"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Unnamed = %v; want %v", got, want)
	}
	if got, want := m.Stale(pkgs), []string{"server/gone"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Stale = %v; want %v (planned internal/seed may be absent)", got, want)
	}
	if !m.Planned["server/app"] || m.Named["server/app"] || !m.Named["server/redis"] {
		t.Errorf("ParseMap sections: planned %v, named %v; want server/app planned, server/redis named", m.Planned, m.Named)
	}
}

// TestViolations proves each rule catches its import and lets the allowed
// ones through.
func TestViolations(t *testing.T) {
	tests := []struct {
		pkg, dep string
		want     string // rule number in the message; "" = allowed
	}{
		{"server", "server/internal/auth", "rule 1"},
		{"server/httpapi", "loadtests/wsclient", "rule 2"},
		{"server/app", "integration/stack", "rule 2"},
		{"server/redis", "server/inmem", "rule 3"},
		{"server/realtime", "server/httpapi", "rule 3"},
		{"server/cachetest", "server/inmem", "rule 4"},
		{"server/app", "server/httpapi", "rule 5"},
		{"server/app", "server/redis", "rule 5"},
		{"server/app", "server/internal/groupcommit", ""},
		{"server/httpapi", "server/realtime", ""},
		{"server/cmd/echosenseix", "server/redis", ""},
		{"server/redis", "server/internal/auth", ""},
		{"server/app", "internal/seed", ""},
		{"loadtests/wsload", "server/httpapi", ""},
		{"server/cachetest", "server", ""},
	}
	for _, tt := range tests {
		got := Violations(map[string][]string{tt.pkg: {tt.dep}})
		switch {
		case tt.want == "" && len(got) != 0:
			t.Errorf("%s -> %s: got %q; want allowed", tt.pkg, tt.dep, got)
		case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], tt.want)):
			t.Errorf("%s -> %s: got %q; want one violation of %s", tt.pkg, tt.dep, got, tt.want)
		}
	}
}

// load reads the page and lists the module's packages with their
// module-internal non-test imports, as paths relative to the module.
func load(t *testing.T) (Map, []string, map[string][]string) {
	t.Helper()
	b, err := os.ReadFile(mapFile)
	if err != nil {
		t.Fatalf("cannot read %s: %v", mapFile, err)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	mod := goList(t, root, "list", "-m")
	out := goList(t, root, "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...")
	var pkgs []string
	imports := map[string][]string{}
	for _, line := range strings.Split(out, "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		pkg, ok := relative(fields[0], mod)
		if !ok {
			t.Fatalf("go list: package %s is outside module %s", fields[0], mod)
		}
		pkgs = append(pkgs, pkg)
		for _, imp := range fields[1:] {
			if dep, ok := relative(imp, mod); ok {
				imports[pkg] = append(imports[pkg], dep)
			}
		}
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list ./... found %d packages in %s; want the whole module", len(pkgs), root)
	}
	return ParseMap(string(b)), pkgs, imports
}

// relative strips the module path: "mod/server/x" -> "server/x", "mod" -> ".".
func relative(importPath, mod string) (string, bool) {
	if importPath == mod {
		return ".", true
	}
	rest, ok := strings.CutPrefix(importPath, mod+"/")
	return rest, ok
}

func goList(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %v: %v", args, err)
	}
	return strings.TrimSpace(string(out))
}
