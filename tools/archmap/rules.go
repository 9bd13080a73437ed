package archmap

import (
	"fmt"
	"sort"
	"strings"
)

// toolingTrees are the trees the server must never import.
var toolingTrees = []string{"bench", "loadtests", "tuning", "integration", "dashboards", "tools"}

// adapters are the server packages that never import each other nor the
// HTTP adapter; only the command wires them.
var adapters = []string{"server/inmem", "server/redis", "server/redis/queue", "server/rabbitmq", "server/nats", "server/postgres", "server/realtime", "server/cluster"}

// Violations returns one line per import that breaks a rule of
// docs/architecture.md. imports maps a package (path relative to the module)
// to its module-internal non-test imports (relative too).
func Violations(imports map[string][]string) []string {
	var out []string
	for pkg, deps := range imports {
		for _, dep := range deps {
			if why := rule(pkg, dep); why != "" {
				out = append(out, fmt.Sprintf("%s imports %s: %s", pkg, dep, why))
			}
		}
	}
	sort.Strings(out)
	return out
}

// rule names the rule pkg importing dep breaks, or "".
func rule(pkg, dep string) string {
	switch {
	case pkg == "server":
		return "rule 1: the domain imports no package of the module"
	case under(pkg, "server") && underAny(dep, toolingTrees):
		return "rule 2: the server never imports the tooling trees"
	case isAdapter(pkg) && (isAdapter(dep) || dep == "server/httpapi") && !under(dep, pkg):
		return "rule 3: adapters never import each other nor server/httpapi"
	case isContract(pkg) && dep != "server":
		return "rule 4: contract suites import only server"
	case under(pkg, "server/app") && dep != "server" && !under(dep, "server/internal") && !under(dep, "internal") && !under(dep, "server/app"):
		return "rule 5: the use-case layer imports only server, server/internal and internal"
	}
	return ""
}

func under(pkg, tree string) bool { return pkg == tree || strings.HasPrefix(pkg, tree+"/") }

func underAny(pkg string, trees []string) bool {
	for _, t := range trees {
		if under(pkg, t) {
			return true
		}
	}
	return false
}

func isAdapter(pkg string) bool {
	for _, a := range adapters {
		if pkg == a {
			return true
		}
	}
	return false
}

// isContract reports a contract suite: server/<name>test.
func isContract(pkg string) bool {
	rest, ok := strings.CutPrefix(pkg, "server/")
	return ok && !strings.Contains(rest, "/") && strings.HasSuffix(rest, "test")
}
