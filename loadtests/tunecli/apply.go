package tunecli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/echosenseix/echosenseix/loadtests/netns"
)

// ApplyNetArgs are the arguments of `tune apply` that set a tier's app-host
// network sysctls, writing its files under dest (never the host's /etc).
func ApplyNetArgs(tier, dest string) []string {
	return []string{"apply", "--tier", tier, "--role", "app", "--only", "net", "--dest", dest}
}

// ApplyNet runs `tune apply --tier T --role app --only net --dest DIR`
// through r (a namespace's Runner) and answers the command line it ran.
func (t Tool) ApplyNet(ctx context.Context, r Runner, tier, dest string) (string, error) {
	args := ApplyNetArgs(tier, dest)
	line := t.CommandLine(args...)
	if !t.Available() {
		return line, errors.New("cannot apply the net profile: " + t.CommandLine() + " " + NotAvailable)
	}
	_, errOut, code := t.run(ctx, r, nil, args...)
	if code != 0 {
		return line, fmt.Errorf("cannot apply the net profile (%s): exit %d: %s", line, code, firstLine(errOut))
	}
	return line, nil
}

// PlanPostgresArgs are the arguments of `tune plan` for a Postgres host.
func PlanPostgresArgs(tier string) []string {
	return []string{"plan", "--tier", tier, "--role", "postgres"}
}

// PlanPostgres runs `tune plan --tier T --role postgres` (host facts of
// this host) and answers the postgresql.conf settings it prints among the
// files it would write: every "name = value" line whose name is in keep.
func (t Tool) PlanPostgres(ctx context.Context, tier string, keep map[string]bool) (map[string]string, string, error) {
	args := PlanPostgresArgs(tier)
	line := t.CommandLine(args...)
	if !t.Available() {
		return nil, line, errors.New("cannot plan postgres: " + t.CommandLine() + " " + NotAvailable)
	}
	out, errOut, code := t.run(ctx, Host, nil, args...)
	if code != 0 {
		return nil, line, fmt.Errorf("cannot plan postgres (%s): exit %d: %s", line, code, firstLine(errOut))
	}
	conf := ParseConf(out, keep)
	if len(conf) == 0 {
		return nil, line, fmt.Errorf("cannot plan postgres (%s): no postgresql.conf settings in its output", line)
	}
	return conf, line, nil
}

// ParseConf reads postgresql.conf-style "name = value" lines (comments and
// quotes stripped) whose name is in keep.
func ParseConf(s string, keep map[string]bool) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		line, _, _ = strings.Cut(line, "#")
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.Trim(strings.TrimSpace(v), "'")
		if !ok || v == "" || !keep[k] {
			continue
		}
		m[k] = v
	}
	return m
}

// FallbackNet are the per-namespace net.* values used in place of the app
// profile's when the tool is absent: the accept and SYN queues at the
// kernel's largest u16 backlog, the whole unprivileged port range for
// outbound connections, FIN-WAIT-2 sockets released after 15 s, and no
// congestion-window reset on idle keep-alive connections. Callers say in
// their reports that these, not the profile, were applied.
var FallbackNet = map[string]string{
	"net.core.somaxconn":                 "65535",
	"net.ipv4.tcp_max_syn_backlog":       "65535",
	"net.ipv4.ip_local_port_range":       "1024 65535",
	"net.ipv4.tcp_fin_timeout":           "15",
	"net.ipv4.tcp_slow_start_after_idle": "0",
}

// FallbackLine describes FallbackNet for a report.
func FallbackLine() string {
	keys := make([]string, 0, len(FallbackNet))
	for k := range FallbackNet {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = k + "=" + FallbackNet[k]
	}
	return "the fallback list (" + DefaultBin + " " + NotAvailable + "): " + strings.Join(keys, ", ")
}

// ApplyNetIn sets tier's net.* profile inside ns: `tune apply --only net`
// with its files in a temp dir (never the host's /etc; `ip netns exec`
// does not isolate the filesystem), or FallbackNet when the tool is absent.
// It answers what it did, for the report's header.
func (t Tool) ApplyNetIn(ctx context.Context, ns *netns.NS, tier string) (string, error) {
	if !t.Available() {
		return FallbackLine(), ns.SetSysctls(ctx, FallbackNet)
	}
	dest, err := os.MkdirTemp("", "es-tune-")
	if err != nil {
		return "", fmt.Errorf("cannot create tune dest: %w", err)
	}
	defer os.RemoveAll(dest)
	return t.ApplyNet(ctx, ns.Command, tier, dest)
}
