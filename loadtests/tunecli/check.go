package tunecli

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// CheckResult is one `tune check` run, for a report header.
type CheckResult struct {
	Command string          `json:"command"`
	Exit    int             `json:"exit"`
	Summary string          `json:"summary"` // "ok 12 (exit 0)", "ok 10, low 2 (exit 1)", "not available"
	Output  json.RawMessage `json:"output,omitempty"`
}

// CheckArgs are the arguments of `tune check` for a tier and role.
func CheckArgs(tier, role string) []string {
	return []string{"check", "--tier", tier, "--role", role, "--format", "json"}
}

// Check runs `tune check --tier T --role R --format json` through r.
func (t Tool) Check(ctx context.Context, r Runner, env []string, tier, role string) CheckResult {
	args := CheckArgs(tier, role)
	res := CheckResult{Command: t.CommandLine(args...)}
	if !t.Available() {
		res.Exit, res.Summary = -1, NotAvailable
		return res
	}
	out, errOut, code := t.run(ctx, r, env, args...)
	res.Exit = code
	if json.Valid([]byte(out)) && strings.TrimSpace(out) != "" {
		res.Output = json.RawMessage(out)
	}
	res.Summary = summarize(res.Output, code, errOut)
	return res
}

// summarize counts the "status" values of every object in out (the shape
// of the tool's JSON is its own: any nesting is read) and adds the exit.
func summarize(out json.RawMessage, code int, errOut string) string {
	counts := map[string]int{}
	var v any
	if len(out) > 0 && json.Unmarshal(out, &v) == nil {
		countStatus(v, counts)
	}
	verdict := map[int]string{0: "all hold", 1: "some off", 2: "bad usage"}[code]
	if verdict == "" {
		verdict = "could not run"
	}
	if len(counts) == 0 {
		s := fmt.Sprintf("%s (exit %d)", verdict, code)
		if code != 0 && code != 1 && strings.TrimSpace(errOut) != "" {
			s += ": " + firstLine(errOut)
		}
		return s
	}
	keys := slices.Sorted(maps.Keys(counts))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, counts[k])
	}
	return fmt.Sprintf("%s: %s (exit %d)", verdict, strings.Join(parts, ", "), code)
}

func countStatus(v any, counts map[string]int) {
	switch x := v.(type) {
	case map[string]any:
		if s, ok := x["status"].(string); ok {
			counts[s]++
		}
		for _, c := range x {
			countStatus(c, counts)
		}
	case []any:
		for _, c := range x {
			countStatus(c, counts)
		}
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
