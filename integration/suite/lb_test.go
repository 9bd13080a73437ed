package suite_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/integration/harness"
	"github.com/echosenseix/echosenseix/internal/stack"
)

// A load balancer in front of the instances, run from the project's own
// deploy/ configuration with only the addresses and paths rewritten.
type balancer struct {
	name   string
	binary string
	// config rewrites the deploy file for listen port lb and the instance
	// ports, with runtime files under dir, and answers it.
	config func(t *testing.T, dir string, lb int, ports []int) string
	// args runs the balancer in the foreground on cfg.
	args func(dir, cfg string) []string
}

var balancers = []balancer{
	{name: "nginx", binary: "nginx", config: nginxConfig,
		args: func(dir, cfg string) []string { return []string{"-p", dir, "-c", cfg, "-g", "daemon off;"} }},
	{name: "haproxy", binary: "haproxy", config: haproxyConfig,
		args: func(dir, cfg string) []string { return []string{"-db", "-f", cfg} }},
}

// deployFile reads deploy/<name> of the repository.
func deployFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", name))
	if err != nil {
		t.Fatalf("cannot read the deploy config: %v", err)
	}
	return string(b)
}

var upstreamServer = regexp.MustCompile(`127\.0\.0\.1:\d+`)

// replacePorts rewrites, in order, each 127.0.0.1:<port> of s to the ports;
// there must be exactly len(ports) of them.
func replacePorts(t *testing.T, s string, ports []int) string {
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
		t.Fatalf("deploy config lists %d upstream servers; the test expects %d", n, len(ports))
	}
	return s
}

func nginxConfig(t *testing.T, dir string, lb int, ports []int) string {
	s := replacePorts(t, deployFile(t, "nginx.conf"), ports)
	listen := regexp.MustCompile(`listen\s+\d+`)
	if !listen.MatchString(s) {
		t.Fatalf("deploy/nginx.conf has no listen <port>")
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

func haproxyConfig(t *testing.T, dir string, lb int, ports []int) string {
	s := replacePorts(t, deployFile(t, "haproxy.cfg"), ports)
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
				t.Logf("deploy/haproxy.cfg: global maxconn %d needs ~%d file descriptors; hard limit here is %d: using maxconn %d", n, 2*n, lim.Max, fit)
				return sub[1] + "maxconn " + strconv.Itoa(fit)
			}
			return m
		})
	}
	bind := regexp.MustCompile(`bind\s+\S*:\d+`)
	if !bind.MatchString(s) {
		t.Fatalf("deploy/haproxy.cfg has no bind :<port>")
	}
	return bind.ReplaceAllString(s, "bind 127.0.0.1:"+strconv.Itoa(lb))
}

// startBalancer runs lb in front of ports and answers its base URL.
func startBalancer(t *testing.T, lb balancer, ports []int) string {
	t.Helper()
	bin := stack.Tool(t, lb.binary, lb.binary)
	dir := t.TempDir()
	port := harness.FreePort(t)
	cfg := filepath.Join(dir, lb.name+".conf")
	if err := os.WriteFile(cfg, []byte(lb.config(t, dir, port, ports)), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, lb.args(dir, cfg)...)
	var out strings.Builder
	var outMu sync.Mutex
	cmd.Stdout = writerFunc(func(p []byte) { outMu.Lock(); out.Write(p); outMu.Unlock() })
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("cannot start %s: %v", bin, err)
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
			t.Logf("%s output:\n%s", lb.name, out.String())
			outMu.Unlock()
			if b, err := os.ReadFile(filepath.Join(dir, "error.log")); err == nil {
				t.Logf("%s error.log:\n%s", lb.name, b)
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
			t.Fatalf("%s exited at start:\n%s", lb.name, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not listening on %s within 10s", lb.name, addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "http://" + addr
}

type writerFunc func(p []byte)

func (f writerFunc) Write(p []byte) (int, error) { f(p); return len(p), nil }

// apiRequests answers how many /api requests i has answered.
func apiRequests(t *testing.T, i *harness.Instance) float64 {
	return harness.Metric(metrics(t, i), "http_requests_total", `route="/api/`)
}

// TestBehindLoadBalancer: three instances (sessions, cache and queue on
// Redis) behind nginx and behind haproxy, each run from deploy/'s config.
// Four clients log in and do agent CRUD through the balancer; requests
// spread over every instance; one instance is stopped with SIGTERM during
// the load (and exits 0) and no request through the balancer fails.
func TestBehindLoadBalancer(t *testing.T) {
	for _, lb := range balancers {
		t.Run(lb.name, func(t *testing.T) { testBalancer(t, lb) })
	}
}

func testBalancer(t *testing.T, lb balancer) {
	const workers = 4
	const minRequests = 300 // before the stop: 40 %
	d := deploy(t, 3, 1, workers, 1, redisProviders)
	ports := make([]int, len(d.Insts))
	for k, i := range d.Insts {
		ports[k] = i.Port
	}
	url := startBalancer(t, lb, ports)

	res := newTally()
	var done atomic.Int64
	victim := d.Insts[1]
	var spread []float64
	var stopErr error
	var stopOnce sync.Once
	var stopped atomic.Int64 // unix ns when the victim exited
	var loadOver atomic.Bool
	stopVictim := func() {
		for _, i := range d.Insts {
			spread = append(spread, apiRequests(t, i))
		}
		go func() {
			start := time.Now()
			if code := victim.Stop(); code != 0 {
				stopErr = fmt.Errorf("%s exited %d after SIGTERM; want 0", victim.Name, code)
			}
			stopped.Store(time.Now().UnixNano())
			t.Logf("%s stopped (SIGTERM -> exit) in %v", victim.Name, time.Since(start).Round(time.Millisecond))
		}()
	}
	// The load runs until the victim has been gone for 1.5 s (at most 30 s).
	go func() {
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			if ns := stopped.Load(); ns != 0 && time.Since(time.Unix(0, ns)) > 1500*time.Millisecond {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		loadOver.Store(true)
	}()
	var afterStop atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Go(func() {
			u := d.Org.Users[w]
			c := harness.NewClient()
			r, err := c.Do("POST", url+"/api/login", map[string]string{"email": u.Email, "password": u.Password})
			if !res.add("POST /api/login", r, err, 200) {
				return
			}
			for _, ck := range r.Header.Values("Set-Cookie") {
				if v, ok := strings.CutPrefix(ck, harness.SessionCookie+"="); ok {
					c.SID, _, _ = strings.Cut(v, ";")
				}
			}
			step := func(what string, r *harness.Response, err error, want int) bool {
				ok := res.add(what, r, err, want)
				if stopped.Load() != 0 {
					afterStop.Add(1)
				}
				if done.Add(1) == minRequests {
					stopOnce.Do(stopVictim)
				}
				return ok
			}
			for k := 0; !loadOver.Load(); k++ {
				r, err := c.Do("POST", url+"/api/agents", map[string]string{"name": fmt.Sprintf("lb agent %d-%d", w, k), "externalAgentId": fmt.Sprintf("lb_%s_%d_%d", lb.name, w, k)})
				if !step("POST /api/agents", r, err, 201) {
					continue
				}
				var a struct{ ID string }
				if err := r.JSON(&a); err != nil {
					t.Error(err)
					continue
				}
				r, err = c.Do("GET", url+"/api/agents/"+a.ID, nil)
				step("GET /api/agents/:id", r, err, 200)
				r, err = c.Do("PATCH", url+"/api/agents/"+a.ID, map[string]string{"name": "renamed"})
				step("PATCH /api/agents/:id", r, err, 200)
				r, err = c.Do("GET", url+"/api/agents", nil)
				step("GET /api/agents", r, err, 200)
				r, err = c.Do("DELETE", url+"/api/agents/"+a.ID, nil)
				step("DELETE /api/agents/:id", r, err, 204)
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	<-victim.Done()
	t.Logf("%s: %d requests through the balancer in %v (%d after %s exited): %v", lb.name, done.Load()+workers,
		elapsed.Round(time.Millisecond), afterStop.Load(), victim.Name, res)
	if stopErr != nil {
		t.Error(stopErr)
	}
	if bad := res.count(func(s int) bool { return s == 0 || s >= 300 }); bad > 0 {
		t.Errorf("%d requests through %s failed while %s stopped; want none: %v", bad, lb.name, victim.Name, res)
	}
	if len(spread) != len(d.Insts) {
		t.Fatalf("the victim was never stopped (%d requests done)", done.Load())
	}
	t.Logf("/api requests per instance when %s was stopped: %v", victim.Name, spread)
	for k, n := range spread {
		if n == 0 {
			t.Errorf("%s served no /api request before the stop; want the balancer to spread them", d.Insts[k].Name)
		}
	}
}
