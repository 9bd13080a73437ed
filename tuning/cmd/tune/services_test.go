package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/rueidis"

	"github.com/echosenseix/echosenseix/tuning"
	"github.com/echosenseix/echosenseix/tuning/internal/throwaway"
)

var host16 = []string{"--ram", "16GiB", "--cpus", "8", "--storage", "ssd"}

func redisConf(tb testing.TB, tier string) string {
	tb.Helper()
	p, err := tuning.Load(tier, "redis")
	if err != nil {
		tb.Fatal(err)
	}
	pl, err := tuning.NewPlan(p, tuning.Host{RAM: 16 << 30, CPUs: 8, Storage: "ssd", RedisUse: "cache"}, "redis")
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "redis.conf")
	if err := os.WriteFile(path, []byte(pl.Files[0].Content), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

func redisDo(tb testing.TB, addr string, cmd ...string) string {
	tb.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, DisableCache: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if cmd[0] == "CONFIG" && cmd[1] == "GET" {
		m, err := c.Do(ctx, c.B().ConfigGet().Parameter(cmd[2]).Build()).AsStrMap()
		if err != nil {
			tb.Fatal(err)
		}
		return m[cmd[2]]
	}
	if err := c.Do(ctx, c.B().ConfigSet().ParameterValue().ParameterValue(cmd[2], cmd[3]).Build()).Error(); err != nil {
		tb.Fatal(err)
	}
	return ""
}

// TestCheckExitCodes: a Redis started with the profile's file checks ok
// (exit 0); one value changed live makes check exit 1 and name it.
func TestCheckExitCodes(t *testing.T) {
	addr, err := throwaway.StartRedis(t, redisConf(t, "10k"))
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"REDIS_URL": "redis://" + addr + "/0"}
	args := append([]string{"check", "--tier", "10k", "--role", "redis", "--only", "redis"}, host16...)
	if r := runTune(args, vars); r.code != 0 {
		t.Fatalf("check with the profile's own file: exit %d; want 0\n%s%s", r.code, r.stdout, r.stderr)
	}
	redisDo(t, addr, "CONFIG", "SET", "maxmemory-policy", "noeviction")
	r := runTune(append(args, "--format", "json"), vars)
	if r.code != 1 {
		t.Fatalf("check with maxmemory-policy noeviction: exit %d; want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	var rep tuning.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	for _, x := range rep.Results {
		want := tuning.StatusOK
		if x.ID == "maxmemory-policy" {
			want = tuning.StatusLow
		}
		if x.Status != want {
			t.Errorf("%s: got %s (live %q); want %s", x.ID, x.Status, x.Live, want)
		}
	}
	out := filepath.Join(t.TempDir(), "tuning.prom")
	if r := runTune(append(args, "--format", "prometheus", "--output", out), vars); r.code != 1 {
		t.Errorf("prometheus check: exit %d; want 1", r.code)
	}
	prom, _ := os.ReadFile(out)
	if !strings.Contains(string(prom), `tuning_setting_ok{profile="10k-redis",key="maxmemory-policy"} 0`) ||
		!strings.Contains(string(prom), `tuning_setting_ok{profile="10k-redis",key="tcp-backlog"} 1`) {
		t.Errorf("textfile lacks the expected gauges:\n%s", prom)
	}
}

// TestRedisApplyRevert: apply CONFIG SETs the profile on a default Redis,
// revert puts back every value it had.
func TestRedisApplyRevert(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.conf")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	addr, err := throwaway.StartRedis(t, empty)
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"maxmemory", "maxmemory-policy", "client-output-buffer-limit", "tcp-backlog"}
	before := map[string]string{}
	for _, k := range keys {
		before[k] = redisDo(t, addr, "CONFIG", "GET", k)
	}
	vars, dest := map[string]string{"REDIS_URL": "redis://" + addr + "/0"}, t.TempDir()
	r := runTune(append([]string{"apply", "--tier", "100k", "--role", "redis", "--only", "redis", "--dest", dest}, host16...), vars)
	if r.code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := redisDo(t, addr, "CONFIG", "GET", "maxmemory-policy"); got != "allkeys-lru" {
		t.Errorf("after apply maxmemory-policy: got %q; want allkeys-lru", got)
	}
	if !strings.Contains(r.stdout, "restart Redis to apply: tcp-backlog") {
		t.Errorf("apply did not say tcp-backlog needs a restart:\n%s", r.stdout)
	}
	if r := runTune([]string{"revert", "--dest", dest}, vars); r.code != 0 {
		t.Fatalf("revert: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, k := range keys {
		if got := redisDo(t, addr, "CONFIG", "GET", k); got != before[k] {
			t.Errorf("after revert %s: got %q; want %q", k, got, before[k])
		}
	}
	if _, err := os.Stat(filepath.Join(dest, "etc/redis/echosenseix-cache.conf")); !os.IsNotExist(err) {
		t.Errorf("after revert the redis fragment is still there: %v", err)
	}
}

func pgAuto(tb testing.TB, conn *pgx.Conn) map[string]string {
	tb.Helper()
	rows, err := conn.Query(context.Background(), "SELECT name, setting FROM pg_file_settings WHERE sourcefile LIKE '%postgresql.auto.conf'")
	if err != nil {
		tb.Fatal(err)
	}
	m := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			tb.Fatal(err)
		}
		m[k] = v
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return m
}

func pgShow(tb testing.TB, conn *pgx.Conn, key string) string {
	tb.Helper()
	var v string
	if err := conn.QueryRow(context.Background(), "SHOW "+key).Scan(&v); err != nil {
		tb.Fatal(err)
	}
	return v
}

// awaitShow waits, up to 5 s, until SHOW key reports want: pg_reload_conf
// only signals the postmaster, so a session sees the new value a moment
// later. The caller's assertion reports a value that never came.
func awaitShow(tb testing.TB, conn *pgx.Conn, key, want string) {
	tb.Helper()
	for deadline := time.Now().Add(5 * time.Second); pgShow(tb, conn, key) != want && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPostgresApplyRevert: apply sets the profile with ALTER SYSTEM and
// reloads; revert restores the entry that was there (work_mem 5MB) and
// resets the rest.
func TestPostgresApplyRevert(t *testing.T) {
	dsn, _, err := throwaway.NewPostgres(t).Start(t, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{"ALTER SYSTEM SET work_mem = '5MB'", "SELECT pg_reload_conf()"} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	awaitShow(t, conn, "work_mem", "5MB")
	before := pgAuto(t, conn)
	vars, dest := map[string]string{"DATABASE_URL": dsn}, t.TempDir()
	r := runTune(append([]string{"apply", "--tier", "10k", "--role", "postgres", "--dest", dest}, host16...), vars)
	if r.code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "restart Postgres to apply:") || !strings.Contains(r.stdout, "shared_buffers") {
		t.Errorf("apply did not name the settings needing a restart:\n%s", r.stdout)
	}
	if got := pgAuto(t, conn)["work_mem"]; got != "32MB" {
		t.Errorf("after apply the ALTER SYSTEM work_mem is %q; want 32MB", got)
	}
	if r := runTune([]string{"revert", "--dest", dest}, vars); r.code != 0 {
		t.Fatalf("revert: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	awaitShow(t, conn, "work_mem", "5MB")
	after := pgAuto(t, conn)
	if len(after) != len(before) || after["work_mem"] != before["work_mem"] {
		t.Errorf("after revert postgresql.auto.conf holds %v; want %v", after, before)
	}
	if got := pgShow(t, conn, "work_mem"); got != "5MB" {
		t.Errorf("after revert SHOW work_mem: got %s; want 5MB", got)
	}
	if _, err := os.Stat(filepath.Join(dest, tuning.PathPostgres)); !os.IsNotExist(err) {
		t.Errorf("after revert the conf.d fragment is still there: %v", err)
	}
}
