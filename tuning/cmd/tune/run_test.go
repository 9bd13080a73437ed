package main

import (
	"os"
	"strings"
	"testing"

	"github.com/echosenseix/echosenseix/internal/testbin"
)

type result struct {
	code           int
	stdout, stderr string
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func runTune(args []string, vars map[string]string) result {
	var out, errb strings.Builder
	code := run(args, env(vars), &out, &errb)
	return result{code, out.String(), errb.String()}
}

// tune is bin/tune, built once per test run.
var tune = testbin.New(".", "")

// tuneBinary builds bin/tune once per test run.
func tuneBinary(tb testing.TB) string {
	tb.Helper()
	return tune.Path(tb)
}

func TestMain(m *testing.M) {
	code := m.Run()
	tune.Remove()
	os.Exit(code)
}

func TestBadInputOneLineExit2(t *testing.T) {
	closed := "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=2"
	cases := []struct {
		name string
		args []string
		vars map[string]string
		want string
	}{
		{"no command", nil, nil, "usage"},
		{"unknown command", []string{"tweak"}, nil, "unknown command"},
		{"unknown tier", []string{"plan", "--tier", "5k", "--role", "app"}, nil, "unknown tier"},
		{"unknown role", []string{"plan", "--tier", "10k", "--role", "cdn"}, nil, "unknown role"},
		{"unknown storage", []string{"plan", "--tier", "10k", "--role", "postgres", "--storage", "tape"}, nil, "--storage"},
		{"ram 0", []string{"plan", "--tier", "10k", "--role", "postgres", "--ram", "0"}, nil, "--ram"},
		{"ram text", []string{"plan", "--tier", "10k", "--role", "postgres", "--ram", "lots"}, nil, "size"},
		{"cpus 0", []string{"plan", "--tier", "10k", "--role", "postgres", "--cpus", "0"}, nil, "--cpus"},
		{"missing tier", []string{"plan", "--role", "app"}, nil, "--tier"},
		{"unknown flag", []string{"plan", "--tier", "10k", "--role", "app", "--fast"}, nil, "fast"},
		{"unknown part", []string{"apply", "--tier", "10k", "--role", "app", "--only", "kernel", "--dry-run"}, nil, "unknown part"},
		{"unknown format", []string{"check", "--tier", "10k", "--role", "app", "--format", "xml"}, nil, "--format"},
		{"bad redis use", []string{"plan", "--tier", "10k", "--role", "redis", "--redis-use", "both"}, nil, "--redis-use"},
		{"bad DATABASE_MAX_CONNECTIONS", []string{"plan", "--tier", "10k", "--role", "postgres"}, map[string]string{"DATABASE_MAX_CONNECTIONS": "many"}, "DATABASE_MAX_CONNECTIONS"},
		{"DATABASE_URL unset", []string{"check", "--tier", "10k", "--role", "postgres"}, nil, "DATABASE_URL"},
		{"DATABASE_URL unparsable", []string{"check", "--tier", "10k", "--role", "postgres"}, map[string]string{"DATABASE_URL": "postgres://%zz@/"}, "cannot parse DATABASE_URL"},
		{"DATABASE_URL unreachable", []string{"check", "--tier", "10k", "--role", "postgres"}, map[string]string{"DATABASE_URL": closed}, "cannot connect to DATABASE_URL"},
		{"apply DATABASE_URL unparsable", []string{"apply", "--tier", "10k", "--role", "postgres", "--dry-run", "--dest", t.TempDir()}, map[string]string{"DATABASE_URL": "postgres://%zz@/"}, "cannot parse DATABASE_URL"},
		{"REDIS_URL unparsable", []string{"check", "--tier", "10k", "--role", "redis"}, map[string]string{"REDIS_URL": "http://x"}, "cannot parse REDIS_URL"},
	}
	for _, c := range cases {
		r := runTune(c.args, c.vars)
		if r.code != 2 {
			t.Errorf("%s: exit %d; want 2 (stderr %q)", c.name, r.code, r.stderr)
		}
		if strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "tune: ") || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%s: stderr %q; want one line \"tune: ...%s...\"", c.name, r.stderr, c.want)
		}
		if r.stdout != "" {
			t.Errorf("%s: stdout %q; want nothing", c.name, r.stdout)
		}
	}
}

func TestPlanCLIDeterministic(t *testing.T) {
	args := []string{"plan", "--tier", "10k", "--role", "postgres", "--ram", "16GiB", "--cpus", "8", "--storage", "ssd"}
	a, b := runTune(args, nil), runTune(args, nil)
	if a.code != 0 || a.stdout != b.stdout {
		t.Fatalf("plan: exit %d, identical=%v; want 0 and the same output twice (stderr %q)", a.code, a.stdout == b.stdout, a.stderr)
	}
	for _, line := range []string{"shared_buffers = 4GB", "effective_cache_size = 12GB", "max_parallel_workers_per_gather = 4", "huge_pages = 'try'", "# ==> /etc/postgresql/15/main/conf.d/60-echosenseix.conf"} {
		if !strings.Contains(a.stdout, line+"\n") {
			t.Errorf("plan output lacks %q", line)
		}
	}
}
