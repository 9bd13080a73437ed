package netns

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
)

// NetKeys are the per-namespace net.* sysctls a tuning profile sets for an
// app host that load runs and proofs read back. net.core.netdev_max_backlog
// is not among them: it is global (init namespace only), so it cannot be
// compared inside a namespace.
var NetKeys = []string{
	"net.core.somaxconn",
	"net.ipv4.tcp_max_syn_backlog",
	"net.ipv4.ip_local_port_range",
	"net.ipv4.tcp_fin_timeout",
	"net.ipv4.tcp_slow_start_after_idle",
	"net.ipv4.tcp_notsent_lowat",
	"net.ipv4.tcp_rmem",
	"net.ipv4.tcp_wmem",
	"net.ipv4.tcp_syncookies",
}

func sysctlPath(key string) string { return "/proc/sys/" + strings.ReplaceAll(key, ".", "/") }

// SetSysctls writes each key=value inside the namespace, in key order. Only
// net.* keys are allowed: anything else would change the host.
func (n *NS) SetSysctls(ctx context.Context, kv map[string]string) error {
	keys := make([]string, 0, len(kv))
	for k := range kv {
		if !strings.HasPrefix(k, "net.") {
			return fmt.Errorf("cannot set %s in a namespace: only net.* sysctls stay inside it", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		cmd := n.Command(ctx, "sh", "-c", `printf '%s\n' "$2" > "$1"`, "sh", sysctlPath(k), kv[k])
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("cannot set %s=%s in %s: %w: %s", k, kv[k], n.Name, err, strings.TrimSpace(string(out)))
		}
	}
	return nil
}

// Sysctls reads keys inside the namespace; values are space-separated
// fields ("1024 65535"), an unreadable key is absent.
func (n *NS) Sysctls(ctx context.Context, keys []string) (map[string]string, error) {
	args := []string{}
	for _, k := range keys {
		args = append(args, sysctlPath(k))
	}
	script := `for f in "$@"; do printf '%s=' "$f"; tr -s '\t' ' ' < "$f" 2>/dev/null || echo; done`
	out, err := n.Command(ctx, "sh", append([]string{"-c", script, "sh"}, args...)...).Output()
	if err != nil {
		return nil, fmt.Errorf("cannot read sysctls in %s: %w", n.Name, err)
	}
	m := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		p, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(v) == "" {
			continue
		}
		k := strings.ReplaceAll(strings.TrimPrefix(p, "/proc/sys/"), "/", ".")
		m[k] = strings.TrimSpace(v)
	}
	return m, nil
}

// ReadSysctls reads keys in the calling process' own namespace (a program
// started with `ip netns exec` reads its namespace's values).
func ReadSysctls(keys []string) map[string]string {
	m := map[string]string{}
	for _, k := range keys {
		b, err := os.ReadFile(sysctlPath(k))
		if err != nil {
			continue
		}
		m[k] = strings.Join(strings.Fields(string(b)), " ")
	}
	return m
}
