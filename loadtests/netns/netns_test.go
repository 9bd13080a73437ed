package netns

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/echosenseix/echosenseix/internal/stack"
)

func need(t *testing.T) {
	t.Helper()
	if why := Available(); why != "" {
		stack.Unavailable(t, "network namespaces", why)
	}
}

// TestSetupTeardown makes two namespaces, tunes one, and checks that the
// sysctls differ between them, that the host keeps its own value, that a
// process left inside does not keep the namespace alive and that nothing
// is listed after Close.
func TestSetupTeardown(t *testing.T) {
	need(t)
	ctx := context.Background()
	host, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err != nil {
		t.Fatal(err)
	}
	def, err := New(ctx, "es-test")
	if err != nil {
		t.Fatal(err)
	}
	defer def.Close()
	tuned, err := New(ctx, "es-test")
	if err != nil {
		t.Fatal(err)
	}
	defer tuned.Close()
	want := map[string]string{"net.core.somaxconn": "54321", "net.ipv4.ip_local_port_range": "2000 64000"}
	if err := tuned.SetSysctls(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := tuned.Sysctls(ctx, NetKeys)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("tuned %s = %q; want %q", k, got[k], v)
		}
	}
	d, err := def.Sysctls(ctx, NetKeys)
	if err != nil {
		t.Fatal(err)
	}
	if d["net.core.somaxconn"] == got["net.core.somaxconn"] || d["net.core.somaxconn"] == "" {
		t.Errorf("defaults somaxconn = %q, tuned %q; want them to differ", d["net.core.somaxconn"], got["net.core.somaxconn"])
	}
	if after, _ := os.ReadFile("/proc/sys/net/core/somaxconn"); string(after) != string(host) {
		t.Errorf("host somaxconn changed from %q to %q", host, after)
	}
	if err := tuned.SetSysctls(ctx, map[string]string{"fs.file-max": "1"}); err == nil {
		t.Error("SetSysctls(fs.file-max) = nil; want refused (it is not per namespace)")
	}
	sleeper := tuned.Command(ctx, "sleep", "60")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = sleeper.Wait() }()
	for _, n := range []*NS{def, tuned} {
		if err := n.Close(); err != nil {
			t.Fatal(err)
		}
		if Exists(n.Name) {
			t.Errorf("namespace %s still exists after Close", n.Name)
		}
		if err := n.Close(); err != nil {
			t.Errorf("second Close: %v; want nil", err)
		}
	}
	if len(tuned.pids()) != 0 {
		t.Errorf("processes left in %s", tuned.Name)
	}
}

func TestNstatInside(t *testing.T) {
	need(t)
	n, err := New(context.Background(), "es-test")
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	m, err := n.Nstat(context.Background(), "TcpExtListenOverflows", "TcpExtListenDrops")
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := m["TcpExtListenOverflows"]; !ok || v != 0 {
		t.Errorf("fresh namespace TcpExtListenOverflows = %d (%v); want 0", v, ok)
	}
}

func TestParseNstat(t *testing.T) {
	m, err := parseNstat([]byte(`{"kernel":{"TcpExtListenOverflows":17,"TcpExtListenDrops":19}}`), []string{"TcpExtListenOverflows", "TcpExtListenDrops", "Missing"})
	if err != nil {
		t.Fatal(err)
	}
	if m["TcpExtListenOverflows"] != 17 || m["TcpExtListenDrops"] != 19 || m["Missing"] != 0 {
		t.Errorf("parseNstat = %v; want 17, 19, 0", m)
	}
	if _, err := parseNstat([]byte("nope"), nil); err == nil || !strings.Contains(err.Error(), "cannot parse") {
		t.Errorf("parseNstat(garbage) err = %v; want cannot parse", err)
	}
}
