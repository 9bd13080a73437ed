package httpapi_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/echosenseix/echosenseix/server/httpapi"
)

// fakeHost is a HostChecker with settable answers.
type fakeHost struct {
	mu sync.Mutex
	s  []httpapi.HostSetting
}

func (f *fakeHost) set(s ...httpapi.HostSetting) {
	f.mu.Lock()
	f.s = s
	f.mu.Unlock()
}

func (f *fakeHost) HostSettings() []httpapi.HostSetting {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]httpapi.HostSetting(nil), f.s...)
}

func TestHostCheck(t *testing.T) {
	host := &fakeHost{}
	e := newEnv(t, backends[0], func(_ *httpapiConfig, d *httpapiDeps) { d.Host = host })
	type health struct {
		Status string
		Checks map[string]struct{ Status, Message string }
	}
	tests := []struct {
		name        string
		settings    []httpapi.HostSetting
		wantStatus  string
		wantCheck   string
		wantMessage []string
		wantMetrics []string
	}{
		{"host holds", []httpapi.HostSetting{{Key: "RLIMIT_NOFILE", OK: true}, {Key: "net.core.somaxconn", OK: true}},
			"healthy", "pass", nil,
			[]string{`host_setting_ok{key="RLIMIT_NOFILE"} 1`, `host_setting_ok{key="net.core.somaxconn"} 1`}},
		{"host below the profile", []httpapi.HostSetting{
			{Key: "RLIMIT_NOFILE", OK: false, Detail: "RLIMIT_NOFILE=1024 < 11196"},
			{Key: "net.core.somaxconn", OK: false, Detail: "net.core.somaxconn=4096 < 11032"},
			{Key: "fs.file-max", OK: true, Detail: "fs.file-max=1 < 0"}},
			"degraded", "warn", []string{"RLIMIT_NOFILE=1024 < 11196", "net.core.somaxconn=4096 < 11032"},
			[]string{`host_setting_ok{key="RLIMIT_NOFILE"} 0`, `host_setting_ok{key="net.core.somaxconn"} 0`, `host_setting_ok{key="fs.file-max"} 1`}},
	}
	for _, tc := range tests {
		host.set(tc.settings...)
		w := e.do("GET", "/health", "")
		h := decode[health](t, w)
		if w.Code != 200 || h.Status != tc.wantStatus || h.Checks["host"].Status != tc.wantCheck {
			t.Errorf("%s: /health = %d %s host %+v; want 200 %s host %s", tc.name, w.Code, h.Status, h.Checks["host"], tc.wantStatus, tc.wantCheck)
		}
		for _, m := range tc.wantMessage {
			if !strings.Contains(h.Checks["host"].Message, m) {
				t.Errorf("%s: host message %q; want it to name %q", tc.name, h.Checks["host"].Message, m)
			}
		}
		if strings.Contains(h.Checks["host"].Message, "fs.file-max") {
			t.Errorf("%s: host message %q names a setting that holds", tc.name, h.Checks["host"].Message)
		}
		if w := e.do("GET", "/health/ready", ""); w.Code != 200 || !strings.Contains(w.Body.String(), `"ready"`) {
			t.Errorf("%s: /health/ready = %d %s; want 200 ready (the host never fails readiness)", tc.name, w.Code, w.Body.String())
		}
		text := e.do("GET", "/metrics", "").Body.String()
		for _, m := range tc.wantMetrics {
			if !strings.Contains(text, m) {
				t.Errorf("%s: /metrics lacks %q", tc.name, m)
			}
		}
	}
}

func TestHostCheckAbsentWithoutChecker(t *testing.T) {
	e := newEnv(t, backends[0])
	if body := e.do("GET", "/health", "").Body.String(); strings.Contains(body, `"host"`) {
		t.Errorf("/health without a HostChecker = %s; want no host check", body)
	}
	if text := e.do("GET", "/metrics", "").Body.String(); strings.Contains(text, "host_setting_ok") {
		t.Error("/metrics without a HostChecker has host_setting_ok; want none")
	}
}
