// Package lb runs a real load balancer (nginx or haproxy) in front of test
// instances, from the project's own deploy/nginx.conf and deploy/haproxy.cfg
// with only addresses, ports and runtime paths rewritten: the listen/bind
// port, each upstream 127.0.0.1:<port> in order, and (nginx) the pid, log
// and temp paths under the test's temp dir.
package lb

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/stack"
)

// Kind is one balancer the project ships a configuration for.
type Kind struct {
	Name   string // "nginx" or "haproxy": also the binary and the Debian package
	File   string // the file in deploy/
	config func(t testing.TB, src, dir string, port int, ports []int) string
	args   func(dir, cfg string) []string
}

// Nginx is deploy/nginx.conf (passive health checks: max_fails, fail_timeout).
var Nginx = Kind{Name: "nginx", File: "nginx.conf", config: nginxConfig,
	args: func(dir, cfg string) []string { return []string{"-p", dir, "-c", cfg, "-g", "daemon off;"} }}

// HAProxy is deploy/haproxy.cfg (active checks of /health/ready).
var HAProxy = Kind{Name: "haproxy", File: "haproxy.cfg", config: haproxyConfig,
	args: func(dir, cfg string) []string { return []string{"-db", "-f", cfg} }}

// Kinds are both balancers, nginx first.
var Kinds = []Kind{Nginx, HAProxy}

// Balancer is one running balancer.
type Balancer struct {
	Kind   Kind
	URL    string // "http://127.0.0.1:<port>"
	Addr   string // "127.0.0.1:<port>"
	Config string // the configuration it runs
}

// DeployFile reads deploy/<name> of the repository, found from the test's
// directory upwards.
func DeployFile(t testing.TB, name string) string {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(here), "..", "..", "deploy", name))
	if err != nil {
		t.Fatalf("lb: cannot read the deploy config: %v", err)
	}
	return string(b)
}

var upstreamServer = regexp.MustCompile(`127\.0\.0\.1:\d+`)

// ReplacePorts rewrites, in order, each 127.0.0.1:<port> of s to the ports;
// there must be exactly len(ports) of them.
func ReplacePorts(t testing.TB, s string, ports []int) string {
	t.Helper()
	n := 0
	s = upstreamServer.ReplaceAllStringFunc(s, func(string) string {
		n++
		if n > len(ports) {
			return "127.0.0.1:1"
		}
		return "127.0.0.1:" + strconv.Itoa(ports[n-1])
	})
	if n != len(ports) {
		t.Fatalf("lb: deploy config lists %d upstream servers; the test expects %d", n, len(ports))
	}
	return s
}

func nginxConfig(t testing.TB, src, dir string, lb int, ports []int) string {
	s := ReplacePorts(t, src, ports)
	listen := regexp.MustCompile(`listen\s+\d+`)
	if !listen.MatchString(s) {
		t.Fatalf("lb: deploy/nginx.conf has no listen <port>")
	}
	s = listen.ReplaceAllString(s, "listen 127.0.0.1:"+strconv.Itoa(lb))
	head := fmt.Sprintf("pid %[1]s/nginx.pid;\nerror_log %[1]s/error.log warn;\n", dir)
	if os.Geteuid() == 0 {
		head += "user root;\n" // workers keep root: the temp dirs are root's
	}
	paths := fmt.Sprintf(`http {
    access_log %[1]s/access.log;
    client_body_temp_path %[1]s/client_body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
`, dir)
	s = strings.Replace(s, "http {", paths, 1)
	return head + s
}

func haproxyConfig(t testing.TB, src, _ string, lb int, ports []int) string {
	s := ReplacePorts(t, src, ports)
	// haproxy refuses to start when its global maxconn needs more file
	// descriptors than the hard limit (20,000 on the machines here): cap it,
	// and say so.
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil {
		fit := int(lim.Max-200) / 2
		global := regexp.MustCompile(`(?m)^(\s*)maxconn\s+(\d+)`)
		s = global.ReplaceAllStringFunc(s, func(m string) string {
			sub := global.FindStringSubmatch(m)
			if n, _ := strconv.Atoi(sub[2]); n > fit {
				t.Logf("lb: deploy/haproxy.cfg: global maxconn %d needs ~%d file descriptors; hard limit here is %d: using maxconn %d", n, 2*n, lim.Max, fit)
				return sub[1] + "maxconn " + strconv.Itoa(fit)
			}
			return m
		})
	}
	bind := regexp.MustCompile(`bind\s+\S*:\d+`)
	if !bind.MatchString(s) {
		t.Fatalf("lb: deploy/haproxy.cfg has no bind :<port>")
	}
	return bind.ReplaceAllString(s, "bind 127.0.0.1:"+strconv.Itoa(lb))
}

// Start runs k in front of the instance ports (in the order of the deploy
// file's servers) and waits until it listens. It is stopped when t ends; its
// output and error log are printed when t failed.
func Start(t testing.TB, k Kind, ports []int) *Balancer {
	t.Helper()
	bin := stack.Tool(t, k.Name, k.Name)
	dir := t.TempDir()
	port := freePort(t)
	cfg := filepath.Join(dir, k.Name+".conf")
	text := k.config(t, DeployFile(t, k.File), dir, port, ports)
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, k.args(dir, cfg)...)
	var out strings.Builder
	var outMu sync.Mutex
	cmd.Stdout = writerFunc(func(p []byte) { outMu.Lock(); out.Write(p); outMu.Unlock() })
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("lb: cannot start %s: %v", bin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			outMu.Lock()
			t.Logf("%s output:\n%s", k.Name, out.String())
			outMu.Unlock()
			if b, err := os.ReadFile(filepath.Join(dir, "error.log")); err == nil {
				t.Logf("%s error.log:\n%s", k.Name, b)
			}
		}
	})
	addr := "127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			break
		}
		select {
		case <-done:
			outMu.Lock()
			defer outMu.Unlock()
			t.Fatalf("lb: %s exited at start:\n%s", k.Name, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("lb: %s not listening on %s within 10s", k.Name, addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &Balancer{Kind: k, URL: "http://" + addr, Addr: addr, Config: text}
}

// DetectionBound answers how long, by its configuration, the balancer may
// keep sending new requests to an instance that died: haproxy's inter x fall
// (active checks), nginx's fail_timeout (passive: a failed attempt is
// retried on the next server at once, and the server is skipped for
// fail_timeout after max_fails).
func (b *Balancer) DetectionBound(t testing.TB) time.Duration {
	t.Helper()
	switch b.Kind.Name {
	case "haproxy":
		m := regexp.MustCompile(`inter\s+(\d+)(ms|s)\s+fall\s+(\d+)`).FindStringSubmatch(b.Config)
		if m == nil {
			t.Fatalf("lb: haproxy config has no 'inter <d> fall <n>'")
		}
		return parseDur(m[1], m[2]) * time.Duration(atoi(m[3]))
	default:
		m := regexp.MustCompile(`fail_timeout=(\d+)(ms|s)`).FindStringSubmatch(b.Config)
		if m == nil {
			t.Fatalf("lb: nginx config has no fail_timeout=<d>")
		}
		return parseDur(m[1], m[2])
	}
}

func parseDur(n, unit string) time.Duration {
	if unit == "ms" {
		return time.Duration(atoi(n)) * time.Millisecond
	}
	return time.Duration(atoi(n)) * time.Second
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("lb: cannot find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

type writerFunc func(p []byte)

func (f writerFunc) Write(p []byte) (int, error) { f(p); return len(p), nil }

// RejoinBound answers how long, by its configuration, the balancer may take
// to send to an instance again once it is back: haproxy's inter x rise,
// nginx's fail_timeout (a server disabled after max_fails is skipped that
// long).
func (b *Balancer) RejoinBound(t testing.TB) time.Duration {
	t.Helper()
	switch b.Kind.Name {
	case "haproxy":
		inter := regexp.MustCompile(`inter\s+(\d+)(ms|s)`).FindStringSubmatch(b.Config)
		rise := regexp.MustCompile(`rise\s+(\d+)`).FindStringSubmatch(b.Config)
		if inter == nil || rise == nil {
			t.Fatalf("lb: haproxy config has no 'inter <d>' and 'rise <n>'")
		}
		return parseDur(inter[1], inter[2]) * time.Duration(atoi(rise[1]))
	default:
		return b.DetectionBound(t)
	}
}
