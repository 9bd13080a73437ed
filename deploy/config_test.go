package deploy

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// setting is one environment variable of the server's configuration.
type setting struct{ Default, Unit string }

// serverSettings reads every env tag of server/cmd/echosenseix's
// configuration structs (the one source of the defaults, see config.go) from
// the source, so the deployment files are checked against the server as it
// is rather than a copy of its numbers.
func serverSettings(t *testing.T) map[string]setting {
	t.Helper()
	dir := repoPath("server/cmd/echosenseix")
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]setting{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		af, err := parser.ParseFile(fset, f, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(af, func(n ast.Node) bool {
			st, ok := n.(*ast.StructType)
			if !ok {
				return true
			}
			for _, fld := range st.Fields.List {
				if fld.Tag == nil {
					continue
				}
				tag, err := strconv.Unquote(fld.Tag.Value)
				if err != nil {
					continue
				}
				if env := reflect.StructTag(tag).Get("env"); env != "" {
					out[env] = setting{Default: reflect.StructTag(tag).Get("envDefault"), Unit: reflect.StructTag(tag).Get("unit")}
				}
			}
			return true
		})
	}
	if len(out) < 20 {
		t.Fatalf("found only %d settings in %s", len(out), dir)
	}
	return out
}

// durationOf answers a setting's value as a duration: milliseconds for
// unit "ms", else a Go duration.
func durationOf(t *testing.T, name string, s setting, value string) time.Duration {
	t.Helper()
	if s.Unit == "ms" {
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: want milliseconds", name, value)
		}
		return time.Duration(n) * time.Millisecond
	}
	d, err := time.ParseDuration(value)
	if err != nil {
		t.Fatalf("%s=%q (unit %q): want a duration", name, value, s.Unit)
	}
	return d
}

// drainDelayVar is the server's setting for how long it keeps serving
// after SIGTERM with /health/ready at 503, so that load balancers stop
// sending before the listener closes.
const drainDelayVar = "SHUTDOWN_DRAIN_DELAY"

// fallbackDrainDelay is the drain the manifests assume while the server has
// no drainDelayVar setting.
const fallbackDrainDelay = 5 * time.Second

// drainDelay answers the server's default drain delay.
func drainDelay(t *testing.T, settings map[string]setting) time.Duration {
	t.Helper()
	s, ok := settings[drainDelayVar]
	if !ok {
		t.Logf("the server has no %s setting: the manifests assume %s", drainDelayVar, fallbackDrainDelay)
		return fallbackDrainDelay
	}
	return durationOf(t, drainDelayVar, s, s.Default)
}
