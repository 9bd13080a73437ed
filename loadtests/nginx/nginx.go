// Package nginx starts nginx returning a static 200 on a free loopback port:
// the ceiling the load generator is measured against (it must not be the
// bottleneck at the rates the tiers use).
package nginx

import (
	"bytes"
	_ "embed"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"text/template"
	"time"

	"github.com/echosenseix/echosenseix/loadtests/loadgen"
)

//go:embed nginx.conf.tmpl
var confTmpl string

// Render returns nginx.conf for port with pid, logs and temp paths in dir.
func Render(port int, dir string) ([]byte, error) {
	t, err := template.New("nginx").Parse(confTmpl)
	if err != nil {
		return nil, fmt.Errorf("cannot parse nginx template: %w", err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, struct {
		Port int
		Dir  string
	}{port, dir}); err != nil {
		return nil, fmt.Errorf("cannot render nginx.conf: %w", err)
	}
	return b.Bytes(), nil
}

// Server is a running nginx.
type Server struct {
	URL string
	Dir string
	cmd *exec.Cmd
}

// Start renders the config into a temp dir, starts `nginx -c <dir>/nginx.conf
// -g 'daemon off;'` and waits (up to 5 s) until it answers 200.
func Start() (*Server, error) {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if _, e := os.Stat("/usr/sbin/nginx"); e != nil {
			return nil, fmt.Errorf("cannot find nginx: %w", err)
		}
		bin = "/usr/sbin/nginx"
	}
	dir, err := os.MkdirTemp("", "es-nginx-")
	if err != nil {
		return nil, fmt.Errorf("cannot create nginx dir: %w", err)
	}
	port, err := loadgen.FreePort()
	if err != nil {
		return nil, err
	}
	conf, err := Render(port, dir)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), conf, 0o644); err != nil {
		return nil, fmt.Errorf("cannot write nginx.conf: %w", err)
	}
	cmd := exec.Command(bin, "-e", filepath.Join(dir, "error.log"), "-p", dir, "-c", filepath.Join(dir, "nginx.conf"), "-g", "daemon off;")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if out, err := os.Create(filepath.Join(dir, "stderr.log")); err == nil {
		cmd.Stdout, cmd.Stderr = out, out
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("cannot start nginx: %w", err)
	}
	s := &Server{URL: "http://127.0.0.1:" + strconv.Itoa(port) + "/", Dir: dir, cmd: cmd}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(s.URL); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
	s.Stop()
	return nil, fmt.Errorf("cannot start nginx: no 200 on %s within 5 s: %s", s.URL, log)
}

// PID is the nginx master's pid (its workers are its children).
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Stop stops nginx (the process group it leads) and removes its dir.
func (s *Server) Stop() {
	if s.cmd.Process != nil {
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGQUIT)
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	_ = os.RemoveAll(s.Dir)
}
