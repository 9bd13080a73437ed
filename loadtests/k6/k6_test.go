package k6_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/loadtests/tiers"
)

func readScript(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("loadtest.js")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestScriptKnowsEveryTier(t *testing.T) {
	m := regexp.MustCompile(`export const KNOWN_TIERS = \[([^\]]*)\]`).FindStringSubmatch(readScript(t))
	if m == nil {
		t.Fatal("loadtest.js has no KNOWN_TIERS")
	}
	var known []string
	if err := json.Unmarshal([]byte("["+strings.ReplaceAll(m[1], "'", `"`)+"]"), &known); err != nil {
		t.Fatalf("cannot parse KNOWN_TIERS %q: %v", m[1], err)
	}
	want := tiers.Names()
	sort.Strings(known)
	sort.Strings(want)
	if strings.Join(known, ",") != strings.Join(want, ",") {
		t.Errorf("k6 KNOWN_TIERS = %v; tiers.json has %v", known, want)
	}
}

// TestScriptTakesFiguresFromTiersJSON: thresholds, pages, rates and times
// come from the shared file, never from numbers in the script.
func TestScriptTakesFiguresFromTiersJSON(t *testing.T) {
	s := readScript(t)
	for _, want := range []string{
		"open('../tiers/tiers.json')",
		"'rate<=' + th.maxErrorRate",
		"'p(95)<=' + th.p95Ms",
		"'p(99)<=' + th.p99Ms",
		"th.minSocketRatio",
		"tiersFile.pageLoad",
		"tier.thinkSeconds",
		"t.webhooksPerSecond",
		"t.users",
		"tier.sessions",
		"executor: 'ramping-vus'",
		"import { WebSocket } from 'k6/websockets';",
		"new WebSocket(WS_URL",
		"export function handleSummary(data)",
		"'checks{judged:yes}': ['rate>=' + (1 - th.maxErrorRate)]",
		"tier.rampSeconds * 1000 ? 'yes' : 'no'",
		"crypto.hmac('sha256'",
		"export function setup()",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("loadtest.js lacks %q", want)
		}
	}
	if strings.Contains(s, "'k6/ws'") {
		t.Error("loadtest.js imports k6/ws; k6's docs name k6/websockets")
	}
	// Only the hold judges: no request or check is tagged judged:yes outright.
	if strings.Contains(s, "judged: 'yes'") {
		t.Error("loadtest.js tags something judged:yes whatever the phase; use judged()")
	}
	if m := regexp.MustCompile(`(rate|p\(\d+\))\s*<=?\s*\d`).FindString(s); m != "" {
		t.Errorf("loadtest.js hard-codes a threshold %q; take it from tiers.json", m)
	}
	// Every JSON field the script reads exists in every tier.
	f, err := tiers.Parse(tiers.JSON())
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Tiers map[string]map[string]json.RawMessage `json:"tiers"`
	}
	if err := json.Unmarshal(tiers.JSON(), &raw); err != nil {
		t.Fatal(err)
	}
	fields := regexp.MustCompile(`\b(?:tier|t)\.([a-zA-Z]+)`).FindAllStringSubmatch(s, -1)
	for name := range f.Tiers {
		for _, fm := range fields {
			if _, ok := raw.Tiers[name][fm[1]]; !ok {
				t.Errorf("loadtest.js reads tier.%s; tier %s in tiers.json has no such field", fm[1], name)
			}
		}
	}
}

// TestTypeCheck runs tsc --noEmit --checkJs, strict, against the pinned
// @types/k6.
// node_modules is installed with `npm ci` when missing (needs the npm
// registry). Without node/npm it skips, except under CI=true.
func TestTypeCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("runs tsc")
	}
	for _, tool := range []string{"node", "npm", "npx"} {
		stack.Tool(t, tool, "nodejs npm")
	}
	var cfg struct {
		CompilerOptions struct {
			Strict        bool `json:"strict"`
			NoImplicitAny bool `json:"noImplicitAny"`
		} `json:"compilerOptions"`
	}
	if b, err := os.ReadFile("tsconfig.json"); err != nil || json.Unmarshal(b, &cfg) != nil || !cfg.CompilerOptions.Strict || !cfg.CompilerOptions.NoImplicitAny {
		t.Errorf("tsconfig.json: want strict and noImplicitAny true (%v)", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if _, err := os.Stat(filepath.Join("node_modules", ".bin", "tsc")); err != nil {
		cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci: %v\n%s", err, out)
		}
	}
	out, err := exec.CommandContext(ctx, "npx", "--no-install", "tsc", "--noEmit", "--checkJs", "-p", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("tsc --noEmit --checkJs: %v\n%s", err, out)
	}
}

// TestTypeCheckCatchesErrors makes sure the type check is not vacuous: a
// script calling k6 APIs wrongly must fail it.
func TestTypeCheckCatchesErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("runs tsc")
	}
	if _, err := os.Stat(filepath.Join("node_modules", ".bin", "tsc")); err != nil {
		t.Skip("node_modules not installed (TestTypeCheck installs it)")
	}
	dir := t.TempDir()
	bad := "import http from 'k6/http';\nhttp.get(42, 'not params');\n"
	cfg := `{"compilerOptions":{"checkJs":true,"allowJs":true,"noEmit":true,"module":"ES2020","target":"ES2020","moduleResolution":"node","types":["k6"],"typeRoots":["` +
		filepath.Join(mustAbs(t, "node_modules"), "@types") + `"],"lib":["ES2020"]},"include":["*.js"]}`
	if err := os.WriteFile(filepath.Join(dir, "bad.js"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tsconfig.json"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, filepath.Join(mustAbs(t, "node_modules"), ".bin", "tsc"), "-p", dir).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "bad.js") {
		t.Errorf("tsc accepted a wrong k6 call: err %v, output %s", err, out)
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
