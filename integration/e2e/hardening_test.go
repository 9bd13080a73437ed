package e2e_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestProductionRefusesPlaceholders: APP_ENV=production with the compose
// file's old placeholder (or none) stops serve with one line naming the
// variable, exit 2; development starts with it.
func TestProductionRefusesPlaceholders(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  []string
		line string
	}{
		{"placeholder", []string{"APP_ENV=production", "REALTIME_TOKEN_SECRET=change-me-in-production-0123456789"},
			`echosenseix: REALTIME_TOKEN_SECRET="(hidden)": want a secret of your own in production`},
		{"empty", []string{"APP_ENV=production"},
			`echosenseix: REALTIME_TOKEN_SECRET="(hidden)": want a secret of your own in production`},
		{"database password", []string{"APP_ENV=production", "REALTIME_TOKEN_SECRET=6f1c0a9e2b7d4c3f8a5e1b0d9c7a6f3e",
			"DATABASE_URL=postgres://postgres:postgres@127.0.0.1:1/x"},
			`echosenseix: DATABASE_URL="postgres://postgres:xxxxx@127.0.0.1:1/x": want a password of your own in production`},
	} {
		code, _, stderr := runBin(t, tc.env, "serve")
		var lines []string
		for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
			if l != "" && !strings.HasPrefix(l, "{") {
				lines = append(lines, l)
			}
		}
		if code != 2 || len(lines) != 1 || !strings.HasPrefix(lines[0], tc.line) {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and one line starting %q", tc.name, code, lines, tc.line)
		}
	}
}

// TestAdminListener: with ADMIN_ADDR, GET /health is served there (checks
// included) and no longer on PORT, where /health/live and /health/ready stay.
func TestAdminListener(t *testing.T) {
	admin := "127.0.0.1:" + strconv.Itoa(freePort(t))
	p := startServer(t, "CLUSTER_ENABLED=false", "ADMIN_ADDR="+admin)
	waitLive(t, p)
	client := &http.Client{Timeout: 5 * time.Second}
	get := func(url string) (int, string) {
		resp, err := client.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, tc := range []struct {
		url  string
		want int
	}{
		{p.base + "/health/live", 200},
		{p.base + "/health/ready", 200},
		{p.base + "/health", 404},
	} {
		if code, body := get(tc.url); code != tc.want {
			t.Errorf("GET %s = %d %s; want %d", tc.url, code, body, tc.want)
		}
	}
	code, body := get("http://" + admin + "/health")
	var h struct {
		Status string
		Checks map[string]json.RawMessage
	}
	if err := json.Unmarshal([]byte(body), &h); err != nil || code != 200 || h.Status != "healthy" || h.Checks["memory"] == nil {
		t.Errorf("admin GET /health = %d %s; want 200 healthy with checks", code, body)
	}
}

// TestAllowedOriginsReachBothWebSocketDoors: ALLOWED_ORIGINS is applied by
// /ws/realtime-sync on PORT and by the REALTIME_PORT listener: a foreign
// origin answers 403, a listed one goes on to authentication (401 here,
// no credential).
func TestAllowedOriginsReachBothWebSocketDoors(t *testing.T) {
	rp := freePort(t)
	p := startServer(t, "CLUSTER_ENABLED=false", "REALTIME_PORT="+strconv.Itoa(rp), "ALLOWED_ORIGINS=https://app.example.com")
	waitLive(t, p)
	client := &http.Client{Timeout: 5 * time.Second}
	for _, url := range []string{p.base + "/ws/realtime-sync", "http://127.0.0.1:" + strconv.Itoa(rp) + "/ws/realtime-sync"} {
		for _, tc := range []struct {
			origin string
			want   int
		}{{"https://evil.example.com", 403}, {"https://app.example.com", 401}} {
			req, _ := http.NewRequest("GET", url, nil)
			for k, v := range map[string]string{"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
				"Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Origin": tc.origin} {
				req.Header.Set(k, v)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("GET %s: %v", url, err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("GET %s with Origin %s = %d; want %d", url, tc.origin, resp.StatusCode, tc.want)
			}
		}
	}
}
