package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/httpapi"
	"github.com/echosenseix/echosenseix/server/inmem"
	"github.com/echosenseix/echosenseix/server/postgres"
)

// serve runs e's server on a fresh loopback listener (passed in Config)
// and returns its base URL; the server is shut down at cleanup.
func serveEnv(tb testing.TB, be backend, opts ...envOption) (*env, string) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	opts = append(opts, func(c *httpapiConfig, _ *httpapiDeps) { c.Listener = ln })
	e := newEnv(tb, be, opts...)
	done := make(chan error, 1)
	go func() { done <- e.srv.Run() }()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.srv.Shutdown(ctx)
		<-done
	})
	base := "http://" + ln.Addr().String()
	eventually(tb, "server listening", func() bool {
		resp, err := http.Get(base + "/health/live")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	return e, base
}

func httpDo(tb testing.TB, method, url, body string, headers ...string) (int, http.Header, string) {
	tb.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestNetworkBodyLimitAndErrors(t *testing.T) {
	e, base := serveEnv(t, backends[0])
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "kb.txt")
	_, _ = fw.Write([]byte("alpha  beta\ngamma"))
	_ = mw.WriteField("title", "KB")
	_ = mw.Close()
	if code, _, body := httpDo(t, "POST", base+"/api/documents", buf.String(), "Content-Type: "+mw.FormDataContentType(), "Cookie: "+e.a.cookie); code != 202 || !strings.Contains(body, "documentId") {
		t.Errorf("multipart upload over the network = %d %s; want 202", code, body)
	}
	code, hdr, body := httpDo(t, "POST", base+"/api/login", `{"email":"`+strings.Repeat("a", 2<<20)+`"}`, "Content-Type: application/json")
	if code != 413 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") || !strings.Contains(body, "payload_too_large") {
		t.Errorf("oversized = %d %s %.100s; want 413 JSON", code, hdr.Get("Content-Type"), body)
	}
	code, _, body = httpDo(t, "DELETE", base+"/health/live", "")
	if code != 405 || !strings.Contains(body, `"error"`) {
		t.Errorf("wrong method = %d %s; want 405 JSON", code, body)
	}
	code, _, body = httpDo(t, "GET", base+"/api/agents/"+strings.Repeat("x", 10), "")
	if code != 401 || !strings.Contains(body, "unauthorized") {
		t.Errorf("no session = %d %s; want 401 JSON", code, body)
	}
}

// TestInmemWiring runs the in-memory providers cmd wires without a
// database: sessions, bus and the group-commit writer.
func TestInmemWiring(t *testing.T) {
	sessions := inmem.NewSessionStore(time.Hour)
	bus := inmem.NewBus()
	var mu sync.Mutex
	var got []server.Event
	cancel := bus.Subscribe(func(ev server.Event) {
		mu.Lock()
		got = append(got, ev)
		mu.Unlock()
	})
	defer cancel()
	e, base := serveEnv(t, backends[0], func(_ *httpapiConfig, d *httpapiDeps) {
		d.Sessions, d.Bus = sessions, bus
	})
	code, hdr, body := httpDo(t, "POST", base+"/api/login", fmt.Sprintf(`{"email":%q,"password":%q}`, e.a.user.Email, testPassword), "Content-Type: application/json")
	if code != 200 {
		t.Fatalf("login = %d %s", code, body)
	}
	cookie := strings.Split(hdr.Get("Set-Cookie"), ";")[0]
	if code, _, body := httpDo(t, "GET", base+"/api/agents/"+e.a.agent.ID, "", "Cookie: "+cookie); code != 200 {
		t.Fatalf("agent = %d %s", code, body)
	}
	wb := postCallBody(e.a.agent.ExternalAgentID, "conv-net", 30)
	code, _, body = httpDo(t, "POST", base+"/api/webhooks/post-call", wb,
		"ElevenLabs-Signature: "+httpapi.Sign([]byte(e.a.org.WebhookSecret), []byte(wb), time.Now()), "Content-Type: application/json")
	if code != 200 || !strings.Contains(body, `"created":true`) {
		t.Fatalf("webhook = %d %s", code, body)
	}
	eventually(t, "call_completed on the bus", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == 1 && got[0].Type == server.EventCallCompleted && got[0].OrganizationID == e.a.org.ID
	})
	if code, _, _ := httpDo(t, "POST", base+"/api/logout", "", "Cookie: "+cookie); code != 200 {
		t.Fatalf("logout = %d", code)
	}
	if code, _, _ := httpDo(t, "GET", base+"/api/auth/user", "", "Cookie: "+cookie); code != 401 {
		t.Errorf("after logout = %d; want 401", code)
	}
}

// TestPoolExhaustion holds the only connection of a real pool: a request
// needing the database answers 503 with Retry-After within the acquire
// timeout instead of hanging.
func TestPoolExhaustion(t *testing.T) {
	var db *postgres.DB
	pg := backend{"postgres-1conn", func(tb testing.TB) stores {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var err error
		db, err = postgres.Open(ctx, postgres.Config{URL: stack.Postgres(tb), MaxConns: 1, MinConns: -1, AcquireTimeout: 200 * time.Millisecond})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(db.Close)
		if err := db.Migrate(ctx); err != nil {
			tb.Fatal(err)
		}
		return postgres.NewStore(db)
	}}
	e := newEnv(t, pg, func(_ *httpapiConfig, d *httpapiDeps) { d.DB = db })
	conn, err := db.Pool().Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	w := e.as(e.a, "GET", "/api/call-logs", "")
	conn.Release()
	wantError(t, w, 503)
	if ra := string(w.Header().Peek("Retry-After")); ra == "" {
		t.Errorf("503 without Retry-After")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("exhausted pool answered after %v; want about the acquire timeout", d)
	}
	var v struct{ Error struct{ Code string } }
	_ = json.Unmarshal(w.Body.Bytes(), &v)
	if v.Error.Code != server.EUNAVAILABLE {
		t.Errorf("code = %q; want %q", v.Error.Code, server.EUNAVAILABLE)
	}
}

func TestShutdownRunsHooksAndClosesIdle(t *testing.T) {
	e, base := serveEnv(t, backends[0])
	// An idle keep-alive connection must not hold Shutdown to its deadline.
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(base + "/health/live")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	hook := make(chan struct{})
	e.srv.OnShutdown(func(context.Context) { close(hook) })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown = %v; want nil", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Shutdown with an idle keep-alive connection took %v; want well under the grace period", d)
	}
	select {
	case <-hook:
	default:
		t.Error("OnShutdown hook did not run")
	}
}
