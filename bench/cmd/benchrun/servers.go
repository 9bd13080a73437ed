package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/echosenseix/echosenseix/loadtests/loadgen"
)

// process is a server started by the run, in its own process (so its CPU is
// accounted apart), with its output in a log file.
type process struct {
	Name   string
	Addr   string
	Pprof  string // host:port of its net/http/pprof listener ("" = none)
	cmd    *exec.Cmd
	logf   string
	exited chan struct{}
	err    error
}

func (p *process) PID() int { return p.cmd.Process.Pid }

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("cannot find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// start runs bin with args and env (appended to ours), logging to
// dir/<name>.log, and waits until GET http://addr+ready answers 200.
func start(ctx context.Context, name, dir, addr, bin string, args, env []string, ready string) (*process, error) {
	logf := filepath.Join(dir, name+".log")
	f, err := os.Create(logf)
	if err != nil {
		return nil, fmt.Errorf("cannot create %s: %w", logf, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("cannot start %s: %w", name, err)
	}
	p := &process{Name: name, Addr: addr, cmd: cmd, logf: logf, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.exited)
	}()
	if err := p.waitReady(ctx, ready, 60*time.Second); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

func (p *process) waitReady(ctx context.Context, path string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited before it was ready (%v): %s", p.Name, p.err, tail(p.logf))
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		resp, err := client.Get("http://" + p.Addr + path)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer 200 on %s within %v: %s", p.Name, path, timeout, tail(p.logf))
}

// Stop sends SIGTERM to the process group, then SIGKILL after 10 s.
func (p *process) Stop() {
	if p == nil {
		return
	}
	select {
	case <-p.exited:
		return
	default:
	}
	_ = syscall.Kill(-p.PID(), syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.PID(), syscall.SIGKILL)
		<-p.exited
	}
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 600 {
		b = b[len(b)-600:]
	}
	return strings.TrimSpace(string(b))
}

// goBuild builds pkg into out.
func goBuild(ctx context.Context, root, out, pkg string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, pkg)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("cannot build %s: %w: %s", pkg, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// nginxConf is the ceiling: 2 workers answering a static 200 "ok" (as in
// anchors.md), everything in dir. keepalive_requests is raised so nginx,
// like our server, never closes a busy keep-alive connection.
func nginxConf(dir, addr string) string {
	return fmt.Sprintf(`worker_processes 2;
worker_rlimit_nofile 20000;
pid %[1]s/nginx.pid;
error_log %[1]s/nginx-error.log;
events { worker_connections 10000; }
http {
  access_log off;
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  keepalive_requests 1000000;
  server {
    listen %[2]s;
    location / { default_type text/plain; return 200 "ok"; }
  }
}
`, dir, addr)
}

func startNginx(ctx context.Context, dir string) (*process, error) {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		return nil, errors.New("nginx not installed")
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(nginxConf(dir, addr)), 0o644); err != nil {
		return nil, fmt.Errorf("cannot write nginx.conf: %w", err)
	}
	return start(ctx, "nginx", dir, addr, bin, []string{"-p", dir, "-e", filepath.Join(dir, "nginx-error.log"),
		"-c", conf, "-g", "daemon off;"}, nil, "/")
}

// seed runs `echosenseix seed` against dsn and parses its JSON.
func seed(ctx context.Context, bin, dsn string) (loadgen.Seed, error) {
	cmd := exec.CommandContext(ctx, bin, "seed", "--orgs", "1", "--users", "1", "--agents", "10")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dsn)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return loadgen.Seed{}, fmt.Errorf("cannot seed: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return loadgen.ParseSeed(out)
}

// login posts the credentials and answers the Cookie header line carrying
// the session.
func login(addr, email, password string) (string, error) {
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Post("http://"+addr+"/api/login", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("cannot log in: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("cannot log in: status %d", resp.StatusCode)
	}
	var parts []string
	for _, c := range resp.Cookies() {
		parts = append(parts, c.Name+"="+c.Value)
	}
	if len(parts) == 0 {
		return "", errors.New("cannot log in: no session cookie")
	}
	return "Cookie: " + strings.Join(parts, "; "), nil
}

// getOK checks that GET path with header answers 200 (a plumbing check
// before load is put on a route).
func getOK(addr, path, header string) error {
	req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
	if name, value, ok := strings.Cut(header, ":"); ok {
		req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET %s: status %d", path, resp.StatusCode)
	}
	return nil
}

func portOf(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}

func itoa(n int) string { return strconv.Itoa(n) }
