package deploy

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/echosenseix/echosenseix/integration/harness"
	"github.com/echosenseix/echosenseix/internal/stack"
)

// pgbouncerPoolSize is the server-connection pool of the test's PgBouncer:
// far fewer than the two instances' client pools, so every transaction of
// theirs shares a handful of server connections.
const pgbouncerPoolSize = 3

// iniSet replaces the value of key in an ini text, failing t when the key
// is not there once.
func iniSet(t *testing.T, ini, key, value string) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + `\s*=.*$`)
	if n := len(re.FindAllStringIndex(ini, -1)); n != 1 {
		t.Fatalf("deploy/pgbouncer/pgbouncer.ini has %s %d times; want once", key, n)
	}
	return re.ReplaceAllLiteralString(ini, key+" = "+value)
}

// startPgBouncer runs the Debian pgbouncer on deploy/pgbouncer/pgbouncer.ini,
// pointed at the database of dsn, on a free port, and answers its address.
func startPgBouncer(t *testing.T, dsn, password string) string {
	t.Helper()
	bin := tool(t, "pgbouncer", "pgbouncer")
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(u.Host)
	db := strings.TrimPrefix(u.Path, "/")
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil { // pgbouncer drops root for nobody
		t.Fatal(err)
	}
	ini := string(readRepo(t, "deploy/pgbouncer/pgbouncer.ini"))
	if got := string(readRepo(t, "deploy/k8s/pgbouncer.yaml")); !strings.Contains(got, indent(ini, "    ")) {
		t.Errorf("deploy/k8s/pgbouncer.yaml does not carry deploy/pgbouncer/pgbouncer.ini verbatim")
	}
	ini = iniSet(t, ini, "echosenseix", fmt.Sprintf("host=%s port=%s dbname=%s connect_query='SET statement_timeout = 30000'", host, port, db))
	listen := harness.FreePort(t)
	ini = iniSet(t, ini, "listen_addr", "127.0.0.1")
	ini = iniSet(t, ini, "listen_port", strconv.Itoa(listen))
	ini = iniSet(t, ini, "auth_file", filepath.Join(dir, "userlist.txt"))
	ini = iniSet(t, ini, "default_pool_size", strconv.Itoa(pgbouncerPoolSize))
	ini = iniSet(t, ini, "reserve_pool_size", "0")
	if !strings.Contains(ini, "\npool_mode = transaction\n") {
		t.Fatal("deploy/pgbouncer/pgbouncer.ini: want pool_mode = transaction")
	}
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("userlist.txt", fmt.Sprintf("%q %q\n", "postgres", password))
	cfg := write("pgbouncer.ini", ini)
	args := []string{cfg}
	if os.Geteuid() == 0 {
		args = []string{"-u", "nobody", cfg}
	}
	var log bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("pgbouncer log:\n%s", log.String())
		}
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(listen))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return addr
		}
		select {
		case <-done:
			t.Fatalf("pgbouncer exited:\n%s", log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("pgbouncer not listening on %s after 10 s:\n%s", addr, log.String())
		}
	}
}

// indent prefixes every non-empty line of s.
func indent(s, prefix string) string {
	var b strings.Builder
	for line := range strings.Lines(s) {
		if strings.TrimSpace(line) != "" {
			b.WriteString(prefix)
		}
		b.WriteString(line)
	}
	return b.String()
}

// TestServerThroughPgBouncer runs two instances and the seed command against
// Postgres through PgBouncer in transaction mode with three server
// connections, as deploy/k8s and docker-compose.yml do: both migrate at once
// at start, and concurrent webhooks, logins and reads all succeed, while
// Postgres sees no more than the three backends.
func TestServerThroughPgBouncer(t *testing.T) {
	direct := stack.Postgres(t)
	const password = "pgbouncer-test-password"
	addr := startPgBouncer(t, direct, password)
	db := strings.TrimPrefix(must(url.Parse(direct)).Path, "/")
	// The database name is PgBouncer's alias, as in deploy/k8s.
	dsn := fmt.Sprintf("postgres://postgres:%s@%s/echosenseix?sslmode=disable&default_query_exec_mode=exec", password, addr)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, fmt.Sprintf("postgres://postgres:%s@%s/pgbouncer?sslmode=disable&default_query_exec_mode=simple_protocol", password, addr))
	if err != nil {
		t.Fatalf("pgbouncer admin console: %v", err)
	}
	defer admin.Close(context.Background())
	var mode string
	rows, err := admin.Query(ctx, "SHOW DATABASES")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		for k, f := range rows.FieldDescriptions() {
			if f.Name == "name" && vals[k] != "echosenseix" {
				break
			}
			if f.Name == "pool_mode" && vals[k] != nil {
				mode = fmt.Sprint(vals[k])
			}
		}
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	t.Logf("pgbouncer pool_mode of echosenseix: %q (empty: the global pool_mode)", mode)

	insts := harness.StartInstances(t, 2, map[string]string{
		"DATABASE_URL":             dsn,
		"DATABASE_MAX_CONNECTIONS": "8",
		"DATABASE_MIN_CONNECTIONS": "2",
	})
	sd := harness.Seed(t, dsn, 1, 1, 2)
	org := sd.Organizations[0]

	const calls = 40
	errs := make(chan error, calls)
	var wg sync.WaitGroup
	for k := range calls {
		wg.Go(func() {
			agent := org.Agents[k%len(org.Agents)]
			body := harness.PostCallBody(agent.ExternalAgentID, fmt.Sprintf("conv-pgbouncer-%d", k), 10+k)
			r, err := harness.NewClient().Do("POST", insts[k%2].URL+"/api/webhooks/post-call", body, harness.SignatureHeader, harness.SignWebhook(org.WebhookSecret, body))
			switch {
			case err != nil:
				errs <- err
			case r.Status != 200:
				errs <- fmt.Errorf("webhook %d: %s", k, r)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, inst := range insts {
		c := harness.Login(t, inst, org.Users[0].Email, org.Users[0].Password)
		var page struct {
			Data []struct {
				ConversationID string `json:"conversationId"`
			} `json:"data"`
		}
		r := c.Must(t, 200, "GET", inst.URL+"/api/call-logs?limit=100", nil)
		if err := r.JSON(&page); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, l := range page.Data {
			if strings.HasPrefix(l.ConversationID, "conv-pgbouncer-") {
				n++
			}
		}
		if n != calls {
			t.Errorf("%s lists %d of the %d call logs", inst.Name, n, calls)
		}
		c.Must(t, 200, "GET", inst.URL+"/api/agents", nil)
		c.Must(t, 200, "GET", inst.URL+"/api/analytics/organization", nil)
		if r := c.Must(t, 200, "GET", inst.URL+"/health/ready", nil); !strings.Contains(string(r.Body), "ready") {
			t.Errorf("%s /health/ready = %s", inst.Name, r)
		}
	}

	pg, err := pgx.Connect(ctx, direct)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close(context.Background())
	var backends int
	if err := pg.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", db).Scan(&backends); err != nil {
		t.Fatal(err)
	}
	if backends > pgbouncerPoolSize {
		t.Errorf("Postgres has %d backends on %s; want at most PgBouncer's pool of %d (the instances' pools hold 16 clients)", backends, db, pgbouncerPoolSize)
	}
	t.Logf("%d webhooks and the reads of two instances (16 client connections) over %d Postgres backends", calls, backends)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
