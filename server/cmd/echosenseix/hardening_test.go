package main

import (
	"os"
	"strings"
	"testing"
)

// TestHardeningRules: the new limits, ALLOWED_ORIGINS, APP_ENV, ADMIN_ADDR,
// and production's refusal of placeholder secrets, each with its one line.
func TestHardeningRules(t *testing.T) {
	const good = "6f1c0a9e2b7d4c3f8a5e1b0d9c7a6f3e" // 32 hex digits
	prod := func(kv ...string) map[string]string {
		m := map[string]string{"APP_ENV": "production", "REALTIME_TOKEN_SECRET": good}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	const wantSecret = "a secret of your own in production (APP_ENV=production), not empty or a placeholder"
	tests := []configCase{
		{map[string]string{}, ""},
		{map[string]string{"DOCUMENT_BODY_LIMIT": "10"}, `DOCUMENT_BODY_LIMIT="10": want bytes from 1024 to 1073741824`},
		{map[string]string{"WEBHOOK_BODY_LIMIT": "0"}, `WEBHOOK_BODY_LIMIT="0": want bytes from 1024 to 1073741824`},
		{map[string]string{"HTTP_MAX_HEADER_BYTES": "100"}, `HTTP_MAX_HEADER_BYTES="100": want bytes from 4096 to 1048576`},
		{map[string]string{"ALLOWED_ORIGINS": "https://app.example.com, http://localhost:3000"}, ""},
		{map[string]string{"ALLOWED_ORIGINS": "*"}, ""},
		{map[string]string{"ALLOWED_ORIGINS": "app.example.com"}, `ALLOWED_ORIGINS="app.example.com": want comma-separated scheme://host[:port] origins, or *`},
		{map[string]string{"APP_ENV": "staging"}, `APP_ENV="staging": want development or production`},
		{map[string]string{"ADMIN_ADDR": "127.0.0.1:9090"}, ""},
		{map[string]string{"ADMIN_ADDR": "nope"}, `ADMIN_ADDR="nope": want empty or host:port (port 0 to 65535), e.g. 127.0.0.1:9090`},
		// development accepts the placeholders (the compose file's example runs)
		{map[string]string{"REALTIME_TOKEN_SECRET": "change-me-in-production-0123456789"}, ""},
		{prod(), ""},
		{prod("REALTIME_TOKEN_SECRET", ""), `REALTIME_TOKEN_SECRET="(hidden)": want ` + wantSecret},
		{prod("REALTIME_TOKEN_SECRET", "change-me-in-production-0123456789"), `REALTIME_TOKEN_SECRET="(hidden)": want ` + wantSecret},
		{prod("REALTIME_TOKEN_SECRET", "CHANGEME_CHANGEME_1234"), `REALTIME_TOKEN_SECRET="(hidden)": want ` + wantSecret},
		{prod("REALTIME_TOKEN_SECRET", "secret-secret-secret"), `REALTIME_TOKEN_SECRET="(hidden)": want ` + wantSecret},
		{prod("SEED_PASSWORD", "password1"), `SEED_PASSWORD="(hidden)": want ` + wantSecret},
		{prod("REDIS_PASSWORD", "changeme"), `REDIS_PASSWORD="(hidden)": want ` + wantSecret},
		{prod("DATABASE_URL", "postgres://postgres:postgres@db:5432/app"), `DATABASE_URL="postgres://postgres:xxxxx@db:5432/app": want a password of your own in production (APP_ENV=production), not a placeholder`},
		{prod("DATABASE_URL", "postgres://app:Vq7x9LmP2wZs@db:5432/app"), ""},
		{prod("DATABASE_URL", "postgres://postgres@db:5432/app"), ""}, // no password: trust or peer auth
		{prod("REDIS_URL", "redis://:secret@redis:6379/0"), `REDIS_URL="redis://:xxxxx@redis:6379/0": want a password of your own in production (APP_ENV=production), not a placeholder`},
	}
	checkConfigErrors(t, tests)
}

func TestPlaceholder(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"", false},
		{"change-me", true},
		{"changeme", true},
		{"Change_Me_Now", true},
		{"change-me-in-production-0123456789", true},
		{"please-replace-me-with-a-real-key", true},
		{"secret", true},
		{"postgres", true},
		{"password123", true},
		{"6f1c0a9e2b7d4c3f8a5e1b0d9c7a6f3e", false},
		{"Vq7x9LmP2wZs", false},
		{"testing-is-what-we-do-but-this-is-a-long-random-key-4f9a", false},
	} {
		if got := placeholder(tc.s); got != tc.want {
			t.Errorf("placeholder(%q) = %v; want %v", tc.s, got, tc.want)
		}
	}
}

func TestOriginsList(t *testing.T) {
	c := &Config{Hardening: HardeningConfig{AllowedOrigins: " https://a.example , ,http://b.example:3000,"}}
	got := c.Hardening.Origins()
	if len(got) != 2 || got[0] != "https://a.example" || got[1] != "http://b.example:3000" {
		t.Errorf("Origins() = %q; want [https://a.example http://b.example:3000]", got)
	}
}

// TestComposeFile: the compose file's Redis, which holds the job queue and
// the sessions, never evicts, and its secrets are required variables, not
// placeholders (the file is read as text: no YAML library is kept).
func TestComposeFile(t *testing.T) {
	b, err := os.ReadFile("../../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if !strings.Contains(s, `"--maxmemory-policy", "noeviction"`) || strings.Contains(s, `"allkeys-lru"`) {
		t.Errorf("docker-compose.yml: redis must run with --maxmemory-policy noeviction (it holds the queue and sessions)")
	}
	for i, line := range strings.Split(s, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || strings.HasPrefix(k, "#") || !(strings.Contains(k, "SECRET") || strings.Contains(k, "PASSWORD") || k == "DATABASE_URL") {
			continue
		}
		if !strings.Contains(v, "${") || !strings.Contains(v, ":?") {
			t.Errorf("docker-compose.yml:%d: %s is %q; want a required variable ${NAME:?message}", i+1, k, strings.TrimSpace(v))
		}
		if placeholder(strings.TrimSpace(v)) && !strings.Contains(v, "${") {
			t.Errorf("docker-compose.yml:%d: %s holds a placeholder", i+1, k)
		}
	}
}
