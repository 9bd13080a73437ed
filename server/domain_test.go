package server_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

func TestErrorCode(t *testing.T) {
	tests := []struct {
		err  error
		code string
		msg  string
	}{
		{nil, "", ""},
		{errors.New("boom"), server.EINTERNAL, "internal error"},
		{server.Errorf(server.ENOTFOUND, "agent %s not found", "x"), server.ENOTFOUND, "agent x not found"},
		{fmt.Errorf("cannot get agent: %w", server.Errorf(server.EINVALID, "bad")), server.EINVALID, "bad"},
	}
	for _, tt := range tests {
		if got := server.ErrorCode(tt.err); got != tt.code {
			t.Errorf("ErrorCode(%v) = %q; want %q", tt.err, got, tt.code)
		}
		if got := server.ErrorMessage(tt.err); got != tt.msg {
			t.Errorf("ErrorMessage(%v) = %q; want %q", tt.err, got, tt.msg)
		}
	}
}

func TestAgentValidate(t *testing.T) {
	a := &server.Agent{Name: "x"}
	if err := a.Validate(); err != nil {
		t.Fatalf("Validate() = %v; want nil", err)
	}
	if a.Platform != server.DefaultAgentPlatform || a.Language != server.DefaultAgentLanguage || string(a.Settings) != "{}" {
		t.Errorf("defaults not applied: %+v", a)
	}
	bad := []*server.Agent{{}, {Name: "x", Settings: []byte(`[1]`)}, {Name: "x", Settings: []byte(`{`)}}
	for _, b := range bad {
		if got := server.ErrorCode(b.Validate()); got != server.EINVALID {
			t.Errorf("Validate(%+v) code = %q; want %q", b, got, server.EINVALID)
		}
	}
}

func TestBackoff(t *testing.T) {
	const base, maxWait = 100 * time.Millisecond, time.Second
	for _, tt := range []struct {
		n        int
		min, max time.Duration
	}{{1, 50 * time.Millisecond, 100 * time.Millisecond}, {2, 100 * time.Millisecond, 200 * time.Millisecond},
		{4, 400 * time.Millisecond, 800 * time.Millisecond}, {5, 500 * time.Millisecond, time.Second}, {80, 500 * time.Millisecond, time.Second}} {
		for range 50 {
			if d := server.Backoff(base, maxWait, tt.n); d < tt.min || d > tt.max {
				t.Fatalf("Backoff(run %d): got %v; want %v..%v", tt.n, d, tt.min, tt.max)
			}
		}
	}
}

func TestCheckJob(t *testing.T) {
	for _, tt := range []struct {
		typ  string
		data string
		opt  server.JobOptions
		ok   bool
	}{{"t", `{"a":1}`, server.JobOptions{}, true}, {"t", "", server.JobOptions{Delay: time.Second}, true},
		{"", "", server.JobOptions{}, false}, {"t", "{", server.JobOptions{}, false},
		{"t", "", server.JobOptions{Delay: -1}, false}, {"t", "", server.JobOptions{MaxAttempts: -1}, false}} {
		err := server.CheckJob(tt.typ, []byte(tt.data), tt.opt)
		if (err == nil) != tt.ok || (err != nil && server.ErrorCode(err) != server.EINVALID) {
			t.Errorf("CheckJob(%q, %q, %+v): got %v; want ok=%v or EINVALID", tt.typ, tt.data, tt.opt, err, tt.ok)
		}
	}
}
