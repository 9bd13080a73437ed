package dashboards

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/echosenseix/echosenseix/internal/stack"

	"go.yaml.in/yaml/v3"
)

// tool returns the path of a command-line tool, skipping the test when it
// is missing — except under CI=true, where a missing tool is a failure.
func tool(t *testing.T, name, pkg string) string {
	t.Helper()
	return stack.Tool(t, name, pkg)
}

func run(t *testing.T, bin string, args ...string) {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, out)
	}
	t.Logf("%s %s:\n%s", bin, strings.Join(args, " "), out)
}

// TestAlertRulesPromtool checks alerts.yml and runs its unit tests: every
// alert fires on its "fires" series and stays quiet on its "quiet" ones.
func TestAlertRulesPromtool(t *testing.T) {
	promtool := tool(t, "promtool", "prometheus")
	run(t, promtool, "check", "rules", "alerts.yml")
	run(t, promtool, "test", "rules", "alerts_test.yml")
}

// TestAlertmanagerConfig checks the example Alertmanager configuration.
func TestAlertmanagerConfig(t *testing.T) {
	run(t, tool(t, "amtool", "prometheus-alertmanager"), "check-config", "alertmanager.yml")
}

// ruleFile is the part of alerts.yml the tests read.
type ruleFile struct {
	Groups []struct {
		Rules []struct {
			Alert string `yaml:"alert"`
			Expr  string `yaml:"expr"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// readAlerts reads the alert names and expressions of alerts.yml.
func readAlerts(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("alerts.yml")
	if err != nil {
		t.Fatalf("read alerts.yml: %v", err)
	}
	var f ruleFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("decode alerts.yml: %v", err)
	}
	out := map[string]string{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				out[r.Alert] = r.Expr
			}
		}
	}
	return out
}

// TestAlertTests checks that alerts_test.yml holds, for every alert, a case
// expecting it to fire and a case expecting silence, and nothing for an
// alert that does not exist.
func TestAlertTests(t *testing.T) {
	alerts := readAlerts(t)
	b, err := os.ReadFile("alerts_test.yml")
	if err != nil {
		t.Fatalf("read alerts_test.yml: %v", err)
	}
	var f struct {
		Tests []struct {
			Cases []struct {
				Alert string           `yaml:"alertname"`
				Exp   []map[string]any `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("decode alerts_test.yml: %v", err)
	}
	fires, quiet := map[string]int{}, map[string]int{}
	for _, tc := range f.Tests {
		for _, c := range tc.Cases {
			if _, ok := alerts[c.Alert]; !ok {
				t.Errorf("alerts_test.yml tests %q, which alerts.yml does not define", c.Alert)
			}
			if len(c.Exp) > 0 {
				fires[c.Alert]++
			} else {
				quiet[c.Alert]++
			}
		}
	}
	for a := range alerts {
		if fires[a] == 0 || quiet[a] == 0 {
			t.Errorf("%s: %d firing and %d quiet cases; want at least one of each", a, fires[a], quiet[a])
		}
	}
}
