package main

import (
	"testing"
	"time"
)

// TestRedisConfig: REDIS_URL goes through the adapter's one parser; rediss://
// dials TLS verified for the host, skipping verification only when asked;
// REDIS_HOST etc. apply without REDIS_URL; CACHE_TTL is passed as it is.
func TestRedisConfig(t *testing.T) {
	tests := []struct {
		env             map[string]string
		addr            string
		db              int
		tls, insecure   bool
		serverName, pwd string
	}{
		{map[string]string{}, "localhost:6379", 0, false, false, "", ""},
		{map[string]string{"REDIS_HOST": "r.internal", "REDIS_PORT": "7000", "REDIS_DB": "3", "REDIS_PASSWORD": "pw"}, "r.internal:7000", 3, false, false, "", "pw"},
		{map[string]string{"REDIS_URL": "redis://:pw@h:6380/2", "REDIS_HOST": "ignored"}, "h:6380", 2, false, false, "", "pw"},
		{map[string]string{"REDIS_URL": "rediss://cache.example/1"}, "cache.example:6379", 1, true, false, "cache.example", ""},
		{map[string]string{"REDIS_URL": "rediss://cache.example/1", "REDIS_TLS_INSECURE_SKIP_VERIFY": "true"}, "cache.example:6379", 1, true, true, "cache.example", ""},
	}
	for _, tt := range tests {
		cfg, err := loadConfig(tt.env)
		if err != nil {
			t.Fatalf("loadConfig(%v) = %v", tt.env, err)
		}
		rc, err := cfg.Redis.redisConfig(cfg.Cache)
		if err != nil {
			t.Fatalf("redisConfig(%v) = %v", tt.env, err)
		}
		if rc.Addr != tt.addr || rc.DB != tt.db || rc.Password != tt.pwd || rc.CacheTTL != 5*time.Minute {
			t.Errorf("%v: got addr %s db %d password %q cache TTL %v; want %s %d %q 5m0s", tt.env, rc.Addr, rc.DB, rc.Password, rc.CacheTTL, tt.addr, tt.db, tt.pwd)
		}
		if (rc.TLS != nil) != tt.tls {
			t.Fatalf("%v: got TLS %v; want %v", tt.env, rc.TLS != nil, tt.tls)
		}
		if rc.TLS != nil && (rc.TLS.ServerName != tt.serverName || rc.TLS.InsecureSkipVerify != tt.insecure) {
			t.Errorf("%v: got TLS server name %q insecure %v; want %q %v", tt.env, rc.TLS.ServerName, rc.TLS.InsecureSkipVerify, tt.serverName, tt.insecure)
		}
	}
}
