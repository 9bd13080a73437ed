package peer_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/echosenseix/echosenseix/bench/peer"
	"github.com/echosenseix/echosenseix/server"
)

func login(t *testing.T, h http.Handler) *http.Cookie {
	t.Helper()
	rec := httptest.NewRecorder()
	body := `{"email":"` + peer.DemoEmail + `","password":"` + peer.DemoPassword + `"}`
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/api/login", strings.NewReader(body)))
	if rec.Code != 200 {
		t.Fatalf("login: got %d; want 200", rec.Code)
	}
	for _, c := range rec.Result().Cookies() {
		if c.Name == "sid" {
			return c
		}
	}
	t.Fatal("login: no sid cookie")
	return nil
}

func TestRoutes(t *testing.T) {
	cfg := peer.DemoConfig(3, 50)
	other := peer.DemoAgent("another-org", 7)
	cfg.Agents = append(cfg.Agents, other)
	h := peer.New(cfg)
	sid := login(t, h)
	tests := []struct {
		path   string
		cookie bool
		want   int
	}{
		{"/health/live", false, 200},
		{"/api/agents/" + peer.DemoAgent(peer.DemoOrganizationID, 1).ID, true, 200},
		{"/api/agents/" + peer.DemoAgent(peer.DemoOrganizationID, 1).ID, false, 401},
		{"/api/agents/" + other.ID, true, 404},
		{"/api/agents/unknown", true, 404},
		{"/api/agents", true, 200},
		{"/api/auth/user", true, 200},
		{"/api/analytics/organization", true, 200},
		{"/api/call-logs", true, 200},
		{"/api/call-logs?limit=0", true, 400},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("GET", tt.path, nil)
		if tt.cookie {
			req.AddCookie(sid)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tt.want {
			t.Errorf("GET %s (cookie %v): got %d; want %d", tt.path, tt.cookie, rec.Code, tt.want)
		}
	}
}

func TestBadLogin(t *testing.T) {
	h := peer.New(peer.DemoConfig(1, 0))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/api/login", strings.NewReader(`{"email":"`+peer.DemoEmail+`","password":"x"}`)))
	if rec.Code != 401 {
		t.Errorf("got %d; want 401", rec.Code)
	}
}

func TestShapes(t *testing.T) {
	h := peer.New(peer.DemoConfig(2, 30))
	sid := login(t, h)
	get := func(path string, v any) {
		req := httptest.NewRequest("GET", path, nil)
		req.AddCookie(sid)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	var page server.CallLogPage
	get("/api/call-logs", &page)
	if len(page.Data) != 20 || page.Total != 30 || page.TotalPages != 2 {
		t.Errorf("call logs: got %d rows, total %d, pages %d; want 20, 30, 2", len(page.Data), page.Total, page.TotalPages)
	}
	var a server.Agent
	want := peer.DemoAgent(peer.DemoOrganizationID, 1)
	get("/api/agents/"+want.ID, &a)
	if a.ID != want.ID || a.SystemPrompt != want.SystemPrompt {
		t.Errorf("agent: got %q; want %q", a.ID, want.ID)
	}
	var an server.Analytics
	get("/api/analytics/organization", &an)
	if an.TotalCalls != 30 || an.ActiveAgents != 2 {
		t.Errorf("analytics: got %d calls, %d agents; want 30, 2", an.TotalCalls, an.ActiveAgents)
	}
}
