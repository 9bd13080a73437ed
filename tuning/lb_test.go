package tuning

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/tuning/internal/throwaway"
)

func lookTool(tb testing.TB, name string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if p2 := "/usr/sbin/" + name; fileExists(p2) {
			return p2
		}
		stack.Unavailable(tb, name, err.Error())
	}
	return p
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// TestLBSnippetsAccepted: the nginx snippet, with a server block listening
// with the profile's backlog, passes `nginx -t`; the haproxy snippet with a
// bind line using the profile's backlog passes `haproxy -c`.
func TestLBSnippetsAccepted(t *testing.T) {
	nginx, haproxy := lookTool(t, "nginx"), lookTool(t, "haproxy")
	for _, tier := range Tiers {
		pl := mustPlan(t, tier, "lb", ref16, "lb")
		dir := t.TempDir()
		port := throwaway.FreePort(t)
		conf := filepath.Join(dir, "nginx.conf")
		body := fmt.Sprintf("pid %s/nginx.pid;\nerror_log %s/error.log;\n%s\nhttp {\n  access_log off;\n  client_body_temp_path %s;\n  proxy_temp_path %s;\n  server { listen 127.0.0.1:%d reuseport backlog=%s; return 200; }\n}\n",
			dir, dir, fileOf(t, pl, KindNginx).Content, dir, dir, port, want(pl.Items, "listen backlog").Want)
		if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(nginx, "-t", "-q", "-p", dir, "-c", conf).CombinedOutput(); err != nil {
			t.Errorf("%s: nginx -t refused the snippet: %v: %s", tier, err, out)
		}
		cfg := filepath.Join(dir, "haproxy.cfg")
		body = fileOf(t, pl, KindHAProxy).Content + fmt.Sprintf("defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\nfrontend public\n    bind 127.0.0.1:%d backlog %s\n    default_backend app\nbackend app\n    server s1 127.0.0.1:1\n",
			port, want(pl.Items, "bind backlog").Want)
		if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(haproxy, "-c", "-q", "-f", cfg).CombinedOutput(); err != nil {
			t.Errorf("%s: haproxy -c refused the snippet: %v: %s", tier, err, out)
		}
	}
}
