package deploy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"go.yaml.in/yaml/v3"

	"github.com/echosenseix/echosenseix/integration/harness"
)

// upstreamLine is one `server host:port ...;` line of an nginx upstream or
// a haproxy backend: the line a harness replaces to point the balancer at
// its own instances.
var upstreamLine = regexp.MustCompile(`(?m)^(\s*server\s+(?:\w+\s+)?)([\w.-]+):(\d+)\b`)

// localUpstreams points every upstream line at 127.0.0.1 on a free port, so
// the file loads where its host names (app1-app3 of compose) do not resolve.
func localUpstreams(t *testing.T, conf string) (string, int) {
	t.Helper()
	n := 0
	out := upstreamLine.ReplaceAllStringFunc(conf, func(m string) string {
		n++
		sub := upstreamLine.FindStringSubmatch(m)
		return sub[1] + "127.0.0.1:" + strconv.Itoa(harness.FreePort(t))
	})
	return out, n
}

// TestNginxConfigs runs `nginx -t` on deploy/nginx.conf and
// deploy/compose-nginx.conf (upstreams pointed at 127.0.0.1) and checks
// what the multi-instance layout relies on: passive health checks on every
// upstream, upstream keep-alive, HTTP/1.1 to the upstreams, the WebSocket
// upgrade, and no retry of non-idempotent requests.
func TestNginxConfigs(t *testing.T) {
	nginx := tool(t, "nginx", "nginx-light")
	for _, name := range []string{"deploy/nginx.conf", "deploy/compose-nginx.conf"} {
		t.Run(filepath.Base(name), func(t *testing.T) {
			raw := string(readRepo(t, name))
			conf, n := localUpstreams(t, raw)
			if n < 2 {
				t.Fatalf("%d upstream servers; want several", n)
			}
			for _, m := range upstreamLine.FindAllString(raw, -1) {
				line := raw[strings.Index(raw, m):]
				line = line[:strings.IndexByte(line, '\n')]
				if !strings.Contains(line, "max_fails=") || !strings.Contains(line, "fail_timeout=") {
					t.Errorf("upstream %q: want max_fails and fail_timeout (passive health checks)", strings.TrimSpace(line))
				}
			}
			for _, want := range []string{"keepalive ", "proxy_http_version 1.1;", "proxy_set_header Upgrade $http_upgrade;",
				"proxy_set_header Connection $connection_upgrade;", `proxy_set_header Connection "";`, "proxy_next_upstream "} {
				if !strings.Contains(raw, want) {
					t.Errorf("lacks %q", want)
				}
			}
			if regexp.MustCompile(`(?m)^\s*proxy_next_upstream\s[^;#]*\bnon_idempotent\b`).MatchString(raw) {
				t.Errorf("proxy_next_upstream non_idempotent would resend POSTs (webhooks, writes) to a second instance")
			}
			dir := t.TempDir()
			f := filepath.Join(dir, "nginx.conf")
			if err := os.WriteFile(f, []byte(conf), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(nginx, "-t", "-q", "-p", dir, "-e", "stderr", "-g", "pid "+filepath.Join(dir, "nginx.pid")+";", "-c", f).CombinedOutput()
			if err != nil {
				t.Fatalf("nginx -t: %v\n%s", err, out)
			}
		})
	}
}

// TestHAProxyConfig runs `haproxy -c` on deploy/haproxy.cfg and checks its
// active health checks ask /health/ready of every server.
func TestHAProxyConfig(t *testing.T) {
	haproxy := tool(t, "haproxy", "haproxy")
	raw := string(readRepo(t, "deploy/haproxy.cfg"))
	if !regexp.MustCompile(`(?m)^\s*option httpchk GET /health/ready\s*$`).MatchString(raw) {
		t.Errorf("want option httpchk GET /health/ready (the route that answers 503 while draining)")
	}
	lines := regexp.MustCompile(`(?m)^\s*server\s+.*$`).FindAllString(raw, -1)
	if len(lines) < 2 {
		t.Fatalf("%d servers; want several", len(lines))
	}
	for _, l := range lines {
		if !strings.Contains(l, " check") {
			t.Errorf("%q: no health check", strings.TrimSpace(l))
		}
	}
	conf, _ := localUpstreams(t, raw)
	f := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(f, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(haproxy, "-c", "-f", f).CombinedOutput(); err != nil {
		t.Fatalf("haproxy -c: %v\n%s", err, out)
	}
}

// TestWorkflows lints .github/workflows with actionlint and checks that one
// workflow runs `make test` and that the nightly comparison's exit code
// decides the run (bash with pipefail, no continue-on-error).
func TestWorkflows(t *testing.T) {
	files, err := filepath.Glob(repoPath(".github/workflows/*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows: %v", err)
	}
	var out bytes.Buffer
	l, err := actionlint.NewLinter(&out, &actionlint.LinterOptions{WorkingDir: root})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.LintFiles(files, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Errorf("actionlint: %s:%d:%d: %s [%s]", filepath.Base(e.Filepath), e.Line, e.Column, e.Message, e.Kind)
	}

	type step struct {
		Name            string `yaml:"name"`
		Run             string `yaml:"run"`
		Shell           string `yaml:"shell"`
		ContinueOnError any    `yaml:"continue-on-error"`
	}
	type workflow struct {
		Defaults struct {
			Run struct {
				Shell string `yaml:"shell"`
			} `yaml:"run"`
		} `yaml:"defaults"`
		Jobs map[string]struct {
			Steps []step `yaml:"steps"`
		} `yaml:"jobs"`
	}
	makeTest, compare := false, false
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var w workflow
		if err := yaml.Unmarshal(b, &w); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, job := range w.Jobs {
			for _, s := range job.Steps {
				if regexp.MustCompile(`(?m)^\s*make test\s*$`).MatchString(s.Run) {
					makeTest = true
				}
				if !strings.Contains(s.Run, "loadgen compare") {
					continue
				}
				compare = true
				shell := s.Shell
				if shell == "" {
					shell = w.Defaults.Run.Shell
				}
				if shell != "bash" && !strings.Contains(s.Run, "set -o pipefail") && !strings.Contains(s.Run, "pipefail") {
					t.Errorf("%s: step %q pipes loadgen compare without pipefail (the default shell is bash -e)", filepath.Base(f), s.Name)
				}
				if s.ContinueOnError != nil && s.ContinueOnError != false {
					t.Errorf("%s: step %q has continue-on-error: a regression would not fail the run", filepath.Base(f), s.Name)
				}
			}
		}
	}
	if !makeTest {
		t.Error("no workflow runs make test")
	}
	if !compare {
		t.Error("no workflow step runs loadgen compare")
	}
}
