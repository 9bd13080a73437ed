package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/integration/harness"
)

// Bounds of the monitoring stack's start-up.
const (
	processReadyTimeout = 30 * time.Second
	targetsUpTimeout    = 30 * time.Second
)

// proc is one monitoring process (Prometheus or an exporter) on a free
// loopback port, killed when the test ends.
type proc struct {
	name string
	addr string // 127.0.0.1:port
	log  *lockedBuffer
	done chan struct{}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() < 1<<20 {
		l.b.Write(p)
	}
	return len(p), nil
}

func (l *lockedBuffer) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.b.String()
	if len(s) > 4096 {
		s = "..." + s[len(s)-4096:]
	}
	return s
}

// startProc runs bin with args (where "{addr}" is replaced by its free
// address) and env, and waits until GET http://addr+readyPath answers 200.
func startProc(t *testing.T, name, bin, readyPath string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, addr: "127.0.0.1:" + strconv.Itoa(harness.FreePort(t)), log: &lockedBuffer{}, done: make(chan struct{})}
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "{addr}", p.addr)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("cannot start %s: %v", name, err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("%s log:\n%s", name, p.log.tail())
		}
	})
	p.waitReady(t, readyPath)
	return p
}

func (p *proc) waitReady(t *testing.T, path string) {
	t.Helper()
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(processReadyTimeout)
	last := "no answer"
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			t.Fatalf("%s exited before it was ready:\n%s", p.name, p.log.tail())
		default:
		}
		resp, err := c.Get("http://" + p.addr + path)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s not ready on %s%s within %v (last: %s)\n%s", p.name, p.addr, path, processReadyTimeout, last, p.log.tail())
}

// scrapeJob is one Prometheus scrape job with a single target.
type scrapeJob struct{ job, addr string }

// writePromConfig writes a Prometheus configuration scraping jobs every
// second and loading the alert rules.
func writePromConfig(t *testing.T, dir string, jobs []scrapeJob) string {
	t.Helper()
	rules, err := filepath.Abs("alerts.yml")
	if err != nil {
		t.Fatalf("cannot resolve alerts.yml: %v", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n  evaluation_interval: 1s\nrule_files:\n  - %q\nscrape_configs:\n", rules)
	for _, j := range jobs {
		fmt.Fprintf(&b, "  - job_name: %s\n    static_configs:\n      - targets: [%q]\n", j.job, j.addr)
	}
	path := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatalf("cannot write prometheus.yml: %v", err)
	}
	return path
}

// promAPI queries a Prometheus HTTP API.
type promAPI struct {
	base string
	c    *http.Client
}

type apiAnswer struct {
	Status    string          `json:"status"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Data      json.RawMessage `json:"data"`
}

func newAPIClient() *http.Client { return &http.Client{Timeout: 10 * time.Second} }

func (p promAPI) get(path string, q url.Values) (json.RawMessage, error) {
	resp, err := p.c.Get(p.base + path + "?" + q.Encode())
	if err != nil {
		return nil, fmt.Errorf("cannot query prometheus: %w", err)
	}
	defer resp.Body.Close()
	var a apiAnswer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		return nil, fmt.Errorf("cannot decode prometheus answer (%s): %w", resp.Status, err)
	}
	if a.Status != "success" {
		return nil, fmt.Errorf("prometheus answered %s: %s", a.ErrorType, a.Error)
	}
	return a.Data, nil
}

// query evaluates expr now and answers how many series (or 1 for a
// scalar) it returned.
func (p promAPI) query(expr string) (int, error) {
	data, err := p.get("/api/v1/query", url.Values{"query": {expr}})
	if err != nil {
		return 0, err
	}
	var d struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return 0, fmt.Errorf("cannot decode query result: %w", err)
	}
	if d.ResultType == "scalar" || d.ResultType == "string" {
		return 1, nil
	}
	var rs []json.RawMessage
	if err := json.Unmarshal(d.Result, &rs); err != nil {
		return 0, fmt.Errorf("cannot decode query result: %w", err)
	}
	return len(rs), nil
}

// waitTargetsUp waits until every active target's last scrape succeeded.
func (p promAPI) waitTargetsUp(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(targetsUpTimeout)
	var last string
	for time.Now().Before(deadline) {
		data, err := p.get("/api/v1/targets", url.Values{"state": {"active"}})
		if err == nil {
			var d struct {
				Active []struct {
					Labels    map[string]string `json:"labels"`
					Health    string            `json:"health"`
					LastError string            `json:"lastError"`
				} `json:"activeTargets"`
			}
			if err = json.Unmarshal(data, &d); err == nil {
				up, states := 0, []string{}
				for _, a := range d.Active {
					if a.Health == "up" {
						up++
					}
					states = append(states, a.Labels["job"]+"="+a.Health+" "+a.LastError)
				}
				if up == want && len(d.Active) == want {
					return
				}
				last = strings.Join(states, "; ")
			}
		}
		if err != nil {
			last = err.Error()
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("prometheus targets not all up within %v: %s", targetsUpTimeout, last)
}

// rulesHealthy checks that Prometheus loaded every alert of alerts.yml and
// evaluates each without error.
func (p promAPI) rulesHealthy(t *testing.T, want map[string]string) {
	t.Helper()
	data, err := p.get("/api/v1/rules", url.Values{"type": {"alert"}})
	if err != nil {
		t.Fatalf("cannot list rules: %v", err)
	}
	var d struct {
		Groups []struct {
			Rules []struct {
				Name      string `json:"name"`
				Health    string `json:"health"`
				LastError string `json:"lastError"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("cannot decode rules: %v", err)
	}
	seen := map[string]bool{}
	for _, g := range d.Groups {
		for _, r := range g.Rules {
			seen[r.Name] = true
			if r.Health != "ok" {
				t.Errorf("rule %s: health %q (%s); want ok", r.Name, r.Health, r.LastError)
			}
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("prometheus did not load alert %s", name)
		}
	}
}
