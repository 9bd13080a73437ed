package netns

import (
	"context"
	"encoding/json"
	"fmt"
)

// Nstat reads the namespace's absolute SNMP/netstat counters (nstat -asz:
// absolute, zeros included, history untouched) for names; a counter the
// kernel does not list is 0.
func (n *NS) Nstat(ctx context.Context, names ...string) (map[string]int64, error) {
	out, err := n.Command(ctx, "nstat", append([]string{"-asz", "--json"}, names...)...).Output()
	if err != nil {
		return nil, fmt.Errorf("cannot run nstat in %s: %w", n.Name, err)
	}
	return parseNstat(out, names)
}

// parseNstat reads nstat's JSON: {"kernel":{"Name":value,...}}.
func parseNstat(b []byte, names []string) (map[string]int64, error) {
	var v struct {
		Kernel map[string]int64 `json:"kernel"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("cannot parse nstat output: %w", err)
	}
	m := make(map[string]int64, len(names))
	for _, name := range names {
		m[name] = v.Kernel[name]
	}
	return m, nil
}
