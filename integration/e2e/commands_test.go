package e2e_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/seed"
	"github.com/echosenseix/echosenseix/internal/stack"
)

// runBin runs the binary with a clean environment plus env and answers its
// exit code, stdout and stderr.
func runBin(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(binPath, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "LOG_LEVEL=warn"}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), out.String(), errb.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, out.String(), errb.String()
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("echosenseix %v did not finish within 60s", args)
	}
	return 0, "", ""
}

func TestStartupFailures(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		args []string
		code int
		line string // the one stderr line (prefix)
	}{
		{"bad provider", []string{"CACHE_PROVIDER=memcached"}, []string{"serve"}, 2,
			`echosenseix: CACHE_PROVIDER="memcached": want memory or redis`},
		{"bad workers", []string{"CLUSTER_WORKERS=lots"}, []string{"serve"}, 2,
			`echosenseix: CLUSTER_WORKERS="lots": want auto or an integer from 1 to 1024`},
		{"redis unreachable", []string{"CACHE_PROVIDER=redis", "REDIS_HOST=127.0.0.1", "REDIS_PORT=1", "CLUSTER_ENABLED=false", "PORT=1"}, []string{"serve"}, 1,
			`echosenseix: redis unreachable (REDIS_HOST=127.0.0.1 REDIS_PORT=1, wanted by CACHE_PROVIDER=redis): `},
		{"redis url unreachable in cluster", []string{"SESSION_STORE=redis", "REDIS_URL=redis://127.0.0.1:1/0", "CLUSTER_WORKERS=2"}, []string{"serve"}, 1,
			`echosenseix: redis unreachable (REDIS_URL=redis://127.0.0.1:1/0, wanted by SESSION_STORE=redis): `},
		{"duration with a unit", []string{"CLUSTER_RESTART_DELAY=1s"}, []string{"serve"}, 2,
			`echosenseix: CLUSTER_RESTART_DELAY="1s": want an integer (milliseconds)`},
		{"tls setting without rediss", []string{"REDIS_TLS_INSECURE_SKIP_VERIFY=true", "REDIS_URL=redis://127.0.0.1:1/0"}, []string{"serve"}, 2,
			`echosenseix: REDIS_TLS_INSECURE_SKIP_VERIFY="true": want false unless REDIS_URL is rediss://`},
		{"rediss accepted, then unreachable", []string{"SESSION_STORE=redis", "REDIS_URL=rediss://127.0.0.1:1/0", "CLUSTER_ENABLED=false", "PORT=1"}, []string{"serve"}, 1,
			`echosenseix: redis unreachable (REDIS_URL=rediss://127.0.0.1:1/0, wanted by SESSION_STORE=redis): `},
		{"bad bus provider", []string{"BUS_PROVIDER=kafka"}, []string{"serve"}, 2,
			`echosenseix: BUS_PROVIDER="kafka": want auto, memory, redis or nats`},
		{"rabbitmq unreachable", []string{"QUEUE_PROVIDER=rabbitmq", "RABBITMQ_URL=amqp://guest:secret@127.0.0.1:1/", "CLUSTER_ENABLED=false", "PORT=" + strconv.Itoa(freePort(t))}, []string{"serve"}, 1,
			`echosenseix: rabbitmq unreachable (RABBITMQ_URL=amqp://guest:xxxxx@127.0.0.1:1/, wanted by QUEUE_PROVIDER=rabbitmq): `},
		{"nats unreachable", []string{"BUS_PROVIDER=nats", "NATS_URL=nats://127.0.0.1:1", "CLUSTER_ENABLED=false", "PORT=" + strconv.Itoa(freePort(t))}, []string{"serve"}, 1,
			`echosenseix: nats unreachable (NATS_URL=nats://127.0.0.1:1, wanted by BUS_PROVIDER=nats): `},
		{"nats unreachable in cluster", []string{"BUS_PROVIDER=nats", "NATS_URL=nats://127.0.0.1:1", "CLUSTER_WORKERS=2"}, []string{"serve"}, 1,
			`echosenseix: nats unreachable (NATS_URL=nats://127.0.0.1:1, wanted by BUS_PROVIDER=nats): `},
		{"rabbitmq unreachable in cluster", []string{"QUEUE_PROVIDER=rabbitmq", "RABBITMQ_URL=amqp://127.0.0.1:1/", "CLUSTER_WORKERS=2"}, []string{"serve"}, 1,
			`echosenseix: rabbitmq unreachable (RABBITMQ_URL=amqp://127.0.0.1:1/, wanted by QUEUE_PROVIDER=rabbitmq): `},
		{"unknown command", nil, []string{"frobnicate"}, 2, `echosenseix: unknown command "frobnicate"`},
		{"seed without database", nil, []string{"seed", "--orgs", "1"}, 2, `echosenseix: seed needs DATABASE_URL`},
		{"migrate without database", nil, []string{"migrate"}, 2, `echosenseix: migrate needs DATABASE_URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runBin(t, tt.env, tt.args...)
			var lines []string
			for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
				if !strings.HasPrefix(l, "{") && l != "" { // JSON log lines aside
					lines = append(lines, l)
				}
			}
			if code != tt.code {
				t.Errorf("exit code: got %d; want %d (stderr %q)", code, tt.code, stderr)
			}
			if len(lines) != 1 || !strings.HasPrefix(lines[0], tt.line) {
				t.Errorf("stderr: got %q; want one line starting %q", lines, tt.line)
			}
		})
	}
}

type seedJSON = seed.File

func TestMigrateAndSeedPostgres(t *testing.T) {
	dsn := stack.Postgres(t)
	env := []string{"DATABASE_URL=" + dsn}
	for range 2 {
		if code, _, stderr := runBin(t, env, "migrate"); code != 0 {
			t.Fatalf("migrate: exit %d: %s", code, stderr)
		}
	}
	code, stdout, stderr := runBin(t, env, "seed", "--orgs", "2", "--users", "3", "--agents", "2", "--password", "pw-for-tests-1")
	if code != 0 {
		t.Fatalf("seed: exit %d: %s", code, stderr)
	}
	var s seedJSON
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatalf("seed output is not JSON: %v: %q", err, stdout)
	}
	checkSeed(t, &s, 2, 3, 2)
	if s.Organizations[0].Users[0].Password != "pw-for-tests-1" {
		t.Errorf("password: got %q; want the --password flag", s.Organizations[0].Users[0].Password)
	}
}

func checkSeed(t *testing.T, s *seedJSON, orgs, users, agents int) {
	t.Helper()
	if len(s.Organizations) != orgs {
		t.Fatalf("organizations: got %d; want %d", len(s.Organizations), orgs)
	}
	for _, o := range s.Organizations {
		if o.ID == "" || o.WebhookSecret == "" || len(o.Users) != users || len(o.Agents) != agents {
			t.Errorf("organization %+v: want id, webhook secret, %d users, %d agents", o, users, agents)
		}
	}
}

// TestServeSeedInMemoryCluster: every worker holds the same seeded data, so
// a login succeeds whichever worker answers.
func TestServeSeedInMemoryCluster(t *testing.T) {
	out := filepath.Join(t.TempDir(), "seed.json")
	p := startServer(t, append(clusterEnv(2), "SEED_ORGS=1", "SEED_USERS=2", "SEED_AGENTS=1", "SEED_OUT="+out)...)
	p.waitWorkers(2, 10*time.Second, nil)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("seed output: %v", err)
	}
	var s seedJSON
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("seed output is not JSON: %v", err)
	}
	checkSeed(t, &s, 1, 2, 1)
	u := s.Organizations[0].Users[1]
	body := `{"email":"` + u.Email + `","password":"` + u.Password + `"}`
	pids := map[int]bool{}
	for i := 0; i < 40 && len(pids) < 2; i++ {
		// One connection per round: the login and the /health after it
		// are answered by the same worker.
		tr := &http.Transport{MaxConnsPerHost: 1}
		c := &http.Client{Timeout: 5 * time.Second, Transport: tr}
		resp, err := c.Post(p.base+"/api/login", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatalf("login: %v", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("login %d: status %d; want 200 on every worker", i, resp.StatusCode)
		}
		hr, err := c.Get(p.base + "/health")
		if err != nil {
			t.Fatalf("health: %v", err)
		}
		var h healthAnswer
		err = json.NewDecoder(hr.Body).Decode(&h)
		hr.Body.Close()
		tr.CloseIdleConnections()
		if err != nil {
			t.Fatalf("health: %v", err)
		}
		pids[h.Details.Process.PID] = true
	}
	if len(pids) != 2 {
		t.Errorf("workers that answered a seeded login: got %d; want 2", len(pids))
	}
}

// TestHealthCommand proves `echosenseix health` (the image's HEALTHCHECK)
// exits 0 against a live server on the configured PORT and 1 where nothing
// listens or the address answers anything but 200.
func TestHealthCommand(t *testing.T) {
	p := startServer(t, "CLUSTER_ENABLED=false")
	waitLive(t, p)
	port := strings.TrimPrefix(p.base, "http://127.0.0.1:")
	if code, _, stderr := runBin(t, []string{"PORT=" + port}, "health"); code != 0 {
		t.Errorf("health against the live server = %d (%s); want 0", code, stderr)
	}
	if code, _, stderr := runBin(t, []string{"PORT=" + port, "HOST=127.0.0.1"}, "health"); code != 0 {
		t.Errorf("health with HOST=127.0.0.1 = %d (%s); want 0", code, stderr)
	}
	if code, _, _ := runBin(t, nil, "health", "--url", p.base+"/no-such-route"); code != 1 {
		t.Errorf("health against a 404 = %d; want 1", code)
	}
	closed := strconv.Itoa(freePort(t))
	code, _, stderr := runBin(t, []string{"PORT=" + closed}, "health")
	if code != 1 || !strings.Contains(stderr, "echosenseix health:") {
		t.Errorf("health against a closed port = %d %q; want 1 and a line naming the failure", code, stderr)
	}
}
