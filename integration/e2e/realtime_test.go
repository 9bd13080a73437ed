package e2e_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/wsclient"
	"github.com/echosenseix/echosenseix/server/realtime"
)

// realtimeToken logs the first seeded user in and answers a realtime token;
// login and token go over one connection, so one worker's memory session
// store answers both.
func realtimeToken(t *testing.T, base string, s *seedJSON) string {
	t.Helper()
	tr := &http.Transport{MaxConnsPerHost: 1}
	defer tr.CloseIdleConnections()
	c := &http.Client{Timeout: 5 * time.Second, Transport: tr}
	u := s.Organizations[0].Users[0]
	resp, err := c.Post(base+"/api/login", "application/json",
		strings.NewReader(`{"email":"`+u.Email+`","password":"`+u.Password+`"}`))
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	var sid string
	for _, ck := range resp.Cookies() {
		if ck.Name == "sid" {
			sid = ck.Value
		}
	}
	if resp.StatusCode != http.StatusOK || sid == "" {
		t.Fatalf("login: status %d, sid %q; want 200 and a session", resp.StatusCode, sid)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/api/realtime/token", nil)
	req.AddCookie(&http.Cookie{Name: "sid", Value: sid})
	resp, err = c.Do(req)
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	defer resp.Body.Close()
	var tok struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.Token == "" {
		t.Fatalf("token: status %d, err %v; want a token", resp.StatusCode, err)
	}
	return tok.Token
}

// connected dials url and waits for the "connected" message.
func connected(t *testing.T, url string) (*wsclient.Conn, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := wsclient.Dial(ctx, url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var m struct {
		Type string
		Data struct{ OrganizationID string }
	}
	if err := c.ReadJSON(&m); err != nil || m.Type != "connected" {
		t.Fatalf("first message on %s: %+v, %v; want connected", url, m, err)
	}
	return c, m.Data.OrganizationID
}

// TestRealtimeDedicatedPort: with REALTIME_PORT every cluster worker serves
// WebSockets on that port too, with the HTTP port's authentication (401
// without a credential, the organization from the token), and a SIGTERM
// closes the sockets of both listeners with 1012.
func TestRealtimeDedicatedPort(t *testing.T) {
	seedOut := filepath.Join(t.TempDir(), "seed.json")
	rp := freePort(t)
	p := startServer(t, append(clusterEnv(2), "REALTIME_PORT="+strconv.Itoa(rp), "REALTIME_NETPOLL_BUFFER=1024",
		"SEED_ORGS=1", "SEED_USERS=1", "SEED_AGENTS=1", "SEED_OUT="+seedOut)...)
	p.waitWorkers(2, 15*time.Second, nil)
	b, err := os.ReadFile(seedOut)
	if err != nil {
		t.Fatalf("seed output: %v", err)
	}
	var s seedJSON
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("seed output is not JSON: %v", err)
	}
	rtURL := "ws://127.0.0.1:" + strconv.Itoa(rp) + "/ws/realtime-sync"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, url := range []string{rtURL, rtURL + "?token=forged.token", rtURL + "?organizationId=" + s.Organizations[0].ID} {
		_, err := wsclient.Dial(ctx, url, nil)
		var he *wsclient.HandshakeError
		if !errors.As(err, &he) || he.Status != http.StatusUnauthorized {
			t.Errorf("dial %s without a valid credential: %v; want HTTP 401", url, err)
		}
	}
	tok := realtimeToken(t, p.base, &s)
	want := s.Organizations[0].ID
	var conns []*wsclient.Conn
	// Several sockets on the dedicated port (the workers' SO_REUSEPORT
	// sockets share them) and one on the HTTP port (hijack path).
	for range 6 {
		c, org := connected(t, rtURL+"?token="+tok)
		if org != want {
			t.Errorf("dedicated port: organizationId %q; want %q from the token", org, want)
		}
		conns = append(conns, c)
	}
	c, org := connected(t, strings.Replace(p.base, "http://", "ws://", 1)+"/ws/realtime-sync?token="+tok)
	if org != want {
		t.Errorf("HTTP port: organizationId %q; want %q", org, want)
	}
	conns = append(conns, c)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for i, c := range conns {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		var err error
		for err == nil {
			_, err = c.ReadMessage()
		}
		if !wsclient.IsClose(err, realtime.StatusServiceRestart) {
			t.Errorf("socket %d (last is the HTTP port's) at shutdown: %v; want close 1012", i, err)
		}
	}
	if code := p.waitExit(15 * time.Second); code != 0 {
		t.Errorf("exit code %d; want 0", code)
	}
}
