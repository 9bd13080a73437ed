package main

import (
	"testing"
	"time"
)

// TestConfigUnits: a duration setting is a plain integer in its unit (ms or
// s, as the guide writes it), read as a time.Duration; anything else stops
// start-up with one line naming the variable.
func TestConfigUnits(t *testing.T) {
	tests := []struct {
		env     map[string]string
		get     func(*Config) time.Duration
		want    time.Duration
		wantErr string
	}{
		{map[string]string{"CLUSTER_RESTART_DELAY": "1000"}, func(c *Config) time.Duration { return c.Cluster.RestartDelay.D() }, time.Second, ""},
		{map[string]string{"CLUSTER_RESTART_DELAY": "0"}, func(c *Config) time.Duration { return c.Cluster.RestartDelay.D() }, 0, ""},
		{map[string]string{"INGEST_BATCH_MAX_WAIT": "2"}, func(c *Config) time.Duration { return c.Ingest.BatchMaxWait.D() }, 2 * time.Millisecond, ""},
		{map[string]string{"HTTP_IDLE_TIMEOUT": "120000"}, func(c *Config) time.Duration { return c.HTTP.IdleTimeout.D() }, 2 * time.Minute, ""},
		{map[string]string{"SESSION_TTL": "86400"}, func(c *Config) time.Duration { return c.Session.TTL.D() }, 24 * time.Hour, ""},
		{map[string]string{"CACHE_TTL": "60"}, func(c *Config) time.Duration { return c.Cache.TTL.D() }, time.Minute, ""},
		{map[string]string{"LOGIN_BACKOFF": "60", "LOGIN_BACKOFF_MAX": "61"}, func(c *Config) time.Duration { return c.Login.BackoffMax.D() }, 61 * time.Second, ""},
		{map[string]string{"CLUSTER_RESTART_DELAY": "1500ms"}, nil, 0, `CLUSTER_RESTART_DELAY="1500ms": want an integer (milliseconds)`},
		{map[string]string{"CACHE_TTL": "1h"}, nil, 0, `CACHE_TTL="1h": want an integer (seconds)`},
		{map[string]string{"SESSION_TTL": "1.5"}, nil, 0, `SESSION_TTL="1.5": want an integer (seconds)`},
		{map[string]string{"SESSION_TTL": "9999999999999999"}, nil, 0, `SESSION_TTL="9999999999999999": want an integer (seconds)`},
		{map[string]string{"LOGIN_THROTTLE_WINDOW": "0"}, nil, 0, `LOGIN_THROTTLE_WINDOW="0": want seconds >= 1`},
		{map[string]string{"LOGIN_BACKOFF": "60", "LOGIN_BACKOFF_MAX": "59"}, nil, 0, `LOGIN_BACKOFF_MAX="59": want seconds >= LOGIN_BACKOFF (60)`},
		{map[string]string{"INGEST_BATCH_MAX_WAIT": "1001"}, nil, 0, `INGEST_BATCH_MAX_WAIT="1001": want milliseconds from 1 to 1000`},
		{map[string]string{"INGEST_BATCH_MAX_WAIT": "1000"}, func(c *Config) time.Duration { return c.Ingest.BatchMaxWait.D() }, time.Second, ""},
		{map[string]string{"WEBHOOK_TOLERANCE": "86401"}, nil, 0, `WEBHOOK_TOLERANCE="86401": want seconds from 1 to 86400`},
		{map[string]string{"WEBHOOK_NEGATIVE_CACHE_TTL": "3600001"}, nil, 0, `WEBHOOK_NEGATIVE_CACHE_TTL="3600001": want milliseconds from 0 (off) to 3600000`},
	}
	for _, tt := range tests {
		cfg, err := loadConfig(tt.env)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.wantErr {
			t.Errorf("loadConfig(%v): got error %q; want %q", tt.env, got, tt.wantErr)
			continue
		}
		if err == nil && tt.get(cfg) != tt.want {
			t.Errorf("loadConfig(%v): got %v; want %v", tt.env, tt.get(cfg), tt.want)
		}
	}
}

// TestUnitsPrintAsSet: a duration prints as the integer it was set as, so
// the README table and the start-up errors show the unit the guide uses.
func TestUnitsPrintAsSet(t *testing.T) {
	tests := []struct{ got, want string }{
		{Millis(1500 * time.Millisecond).String(), "1500"},
		{Seconds(24 * time.Hour).String(), "86400"},
		{Millis(-time.Millisecond).String(), "-1"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q; want %q", tt.got, tt.want)
		}
	}
}
