package httpapi_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server/httpapi"
)

// TestRouteBodyLimits: each route kind has its own limit (JSON routes
// BODY_LIMIT, webhooks and documents theirs), in process.
func TestRouteBodyLimits(t *testing.T) {
	e := newEnv(t, backends[0], func(c *httpapiConfig, _ *httpapiDeps) {
		c.MaxBodySize, c.MaxWebhookSize, c.MaxDocumentSize = 64<<10, 256<<10, 512<<10
	})
	pad := func(n int) string { return `{"title":"t","content":"` + strings.Repeat("a", n) + `"}` }
	for _, tc := range []struct {
		name, path string
		body       string
		want       int
	}{
		{"JSON route under its limit", "/api/agents", `{"name":"` + strings.Repeat("a", 100) + `"}`, 201},
		{"JSON route over its limit", "/api/agents", `{"name":"` + strings.Repeat("a", 100<<10) + `"}`, 413},
		{"webhook over the JSON limit, under its own", "/api/webhooks/post-call", pad(100 << 10), 401},
		{"webhook over its own limit", "/api/webhooks/post-call", pad(300 << 10), 413},
		{"document over the JSON limit, under its own", "/api/documents", pad(300 << 10), 202},
		{"document over its own limit", "/api/documents", pad(600 << 10), 413},
	} {
		w := e.as(e.a, "POST", tc.path, tc.body)
		if w.Code != tc.want {
			t.Errorf("%s: POST %s with %d bytes = %d %.120s; want %d", tc.name, tc.path, len(tc.body), w.Code, w.Body.String(), tc.want)
		}
	}
}

// TestContentTypeRequired: JSON routes answer 415 to a body in another
// media type (a cross-site form can send text/plain without a preflight).
func TestContentTypeRequired(t *testing.T) {
	e := newEnv(t, backends[0])
	body := `{"name":"ct agent"}`
	for _, tc := range []struct {
		ct   string
		want int
	}{
		{"application/json", 201},
		{"application/json; charset=utf-8", 201},
		{"Application/JSON;charset=\"UTF-8\"", 201},
		{"text/plain", 415},
		{"text/plain; charset=utf-8", 415},
		{"application/x-www-form-urlencoded", 415},
		{"multipart/form-data; boundary=x", 415},
		{"application/json; charset=latin1", 415},
		{"application/jsonp", 415},
	} {
		w := e.as(e.a, "POST", "/api/agents", body, "Content-Type: "+tc.ct)
		if w.Code != tc.want {
			t.Errorf("POST /api/agents Content-Type %q = %d %s; want %d", tc.ct, w.Code, w.Body.String(), tc.want)
		}
		if tc.want == 415 {
			if code := errorCode(t, w); code != "unsupported_media_type" {
				t.Errorf("Content-Type %q: code %q; want unsupported_media_type", tc.ct, code)
			}
		}
	}
	// A body-less write (DELETE, logout) needs no Content-Type; the
	// signed webhook takes any.
	if w := e.as(e.a, "DELETE", "/api/agents/00000000-0000-0000-0000-000000000000", ""); w.Code != 404 {
		t.Errorf("DELETE without a body = %d; want 404", w.Code)
	}
	if w := e.do("POST", "/api/webhooks/post-call", `{}`, "Content-Type: text/plain"); w.Code != 401 {
		t.Errorf("webhook with text/plain = %d %s; want 401 (signature checked, media type not)", w.Code, w.Body.String())
	}
	if w := e.as(e.a, "POST", "/api/documents", `{"title":"t","content":"c"}`, "Content-Type: text/plain"); w.Code != 415 {
		t.Errorf("document with text/plain = %d; want 415", w.Code)
	}
}

// TestOriginChecked: state-changing browser requests from an origin not
// allowed answer 403 (CSRF); same-origin, listed origins and non-browser
// clients pass; the webhook is exempt.
func TestOriginChecked(t *testing.T) {
	e := newEnv(t, backends[0], func(c *httpapiConfig, _ *httpapiDeps) {
		c.AllowedOrigins = []string{"https://app.example.com"}
	})
	body := `{"name":"origin agent"}`
	for _, tc := range []struct {
		name    string
		headers []string
		want    int
	}{
		{"no Origin (curl)", nil, 201},
		{"same host", []string{"Host: api.example.com", "Origin: https://api.example.com"}, 201},
		{"listed origin", []string{"Host: api.example.com", "Origin: https://app.example.com"}, 201},
		{"other origin", []string{"Host: api.example.com", "Origin: https://evil.example"}, 403},
		{"null origin", []string{"Host: api.example.com", "Origin: null"}, 403},
		{"no Origin, Sec-Fetch-Site cross-site", []string{"Sec-Fetch-Site: cross-site"}, 403},
		{"no Origin, Sec-Fetch-Site same-site", []string{"Sec-Fetch-Site: same-site"}, 403},
		{"no Origin, Sec-Fetch-Site same-origin", []string{"Sec-Fetch-Site: same-origin"}, 201},
	} {
		w := e.as(e.a, "POST", "/api/agents", body, tc.headers...)
		if w.Code != tc.want {
			t.Errorf("%s: POST /api/agents = %d %s; want %d", tc.name, w.Code, w.Body.String(), tc.want)
		}
		if tc.want == 403 {
			if code := errorCode(t, w); code != "forbidden" {
				t.Errorf("%s: code %q; want forbidden", tc.name, code)
			}
		}
	}
	evil := []string{"Host: api.example.com", "Origin: https://evil.example"}
	if w := e.as(e.a, "POST", "/api/logout", "", evil...); w.Code != 403 {
		t.Errorf("cross-origin logout = %d; want 403", w.Code)
	}
	if w := e.as(e.a, "DELETE", "/api/agents/"+e.a.agent.ID, "", evil...); w.Code != 403 {
		t.Errorf("cross-origin DELETE = %d; want 403", w.Code)
	}
	if w := e.as(e.a, "GET", "/api/agents/"+e.a.agent.ID, "", evil...); w.Code != 200 {
		t.Errorf("cross-origin GET = %d; want 200 (reads are not checked; CORS keeps the answer from the page)", w.Code)
	}
	wb := postCallBody(e.a.agent.ExternalAgentID, "conv-origin", 30)
	w := e.do("POST", "/api/webhooks/post-call", wb, append(evil,
		httpapi.SignatureHeader+": "+httpapi.Sign([]byte(e.a.org.WebhookSecret), []byte(wb), time.Now()))...)
	if w.Code != 200 {
		t.Errorf("signed webhook with a foreign Origin = %d %s; want 200 (exempt)", w.Code, w.Body.String())
	}
}

// TestOriginDefaultSameHost: with no ALLOWED_ORIGINS only the request's own
// host passes.
func TestOriginDefaultSameHost(t *testing.T) {
	e := newEnv(t, backends[0])
	body := `{"name":"default origin agent"}`
	if w := e.as(e.a, "POST", "/api/agents", body, "Host: 127.0.0.1:5000", "Origin: http://127.0.0.1:5000"); w.Code != 201 {
		t.Errorf("same host = %d %s; want 201", w.Code, w.Body.String())
	}
	if w := e.as(e.a, "POST", "/api/agents", body, "Host: 127.0.0.1:5000", "Origin: http://localhost:3000"); w.Code != 403 {
		t.Errorf("other origin = %d %s; want 403", w.Code, w.Body.String())
	}
}

// rawRequest writes head (and nothing more) on a fresh connection and
// answers the connection and a reader of it.
func rawRequest(t *testing.T, base, head string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	return conn, bufio.NewReader(conn)
}

// TestDeclaredBodyRefusedBeforeRead: a Content-Length over the route limit
// answers 413 JSON before the body is read: from the head alone with
// "Expect: 100-continue" (no 100 is sent), after the first 8 KiB otherwise
// (hertz reads that much before any route runs; one byte more when the
// length is over every route's limit); beyond the largest route limit the
// connection is closed right after the answer.
func TestDeclaredBodyRefusedBeforeRead(t *testing.T) {
	_, base := serveEnv(t, backends[0])
	for _, tc := range []struct {
		name      string
		path      string
		length    int
		expect    bool
		sent      int // bytes of the body sent
		wantClose bool
	}{
		{"10 MB to /api/login, 100-continue, none sent", "/api/login", 10_000_000, true, 0, false},
		{"3 MB to the webhook, 100-continue, none sent", "/api/webhooks/post-call", 3 << 20, true, 0, false},
		{"10 MB to /api/login, 8 KiB sent", "/api/login", 10_000_000, false, 8 << 10, false},
		{"1 GB to /api/login, 8 KiB and 1 byte sent", "/api/login", 1 << 30, false, 8<<10 + 1, true},
	} {
		head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", tc.path, tc.length)
		if tc.expect {
			head += "Expect: 100-continue\r\n"
		}
		_, r := rawRequest(t, base, head+"\r\n"+strings.Repeat(" ", tc.sent))
		start := time.Now()
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("%s: no answer while the body is unsent: %v", tc.name, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 413 || !strings.Contains(string(b), `"payload_too_large"`) || !resp.Close {
			t.Errorf("%s: %d close=%v %s; want 413 payload_too_large with Connection: close", tc.name, resp.StatusCode, resp.Close, b)
		}
		if tc.wantClose {
			if _, err := r.ReadByte(); err != io.EOF {
				t.Errorf("%s: after the answer read %v; want EOF (connection closed)", tc.name, err)
			}
		}
		t.Logf("%s: answered in %v", tc.name, time.Since(start))
	}
	// Under the limit, 100-continue proceeds.
	body := `{"email":"a@b.c","password":"wrong"}`
	head := fmt.Sprintf("POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", len(body))
	conn, r := rawRequest(t, base, head)
	if line, err := r.ReadString('\n'); err != nil || !strings.Contains(line, "100 Continue") {
		t.Fatalf("small body with 100-continue: got %q %v; want HTTP/1.1 100 Continue", line, err)
	}
	_, _ = r.ReadString('\n')
	_, _ = io.WriteString(conn, body)
	if resp, err := http.ReadResponse(r, nil); err != nil || resp.StatusCode != 401 {
		t.Fatalf("small body after 100 Continue: %v %v; want 401", resp, err)
	}
}

// TestNetworkChunkedBodyLimit: a chunked body (no Content-Length) is read
// up to the limit only.
func TestNetworkChunkedBodyLimit(t *testing.T) {
	e, base := serveEnv(t, backends[0], func(c *httpapiConfig, _ *httpapiDeps) { c.MaxBodySize = 4 << 10 })
	chunk := func(s string) string { return fmt.Sprintf("%x\r\n%s\r\n", len(s), s) }
	small := `{"name":"chunked agent"}`
	head := "POST /api/agents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nCookie: " + e.a.cookie + "\r\n\r\n"
	_, r := rawRequest(t, base, head+chunk(small)+"0\r\n\r\n")
	if resp, err := http.ReadResponse(r, nil); err != nil || resp.StatusCode != 201 {
		t.Fatalf("small chunked body: %v %v; want 201", resp, err)
	}
	big := head + chunk(`{"name":"`+strings.Repeat("a", 8<<10)) + chunk(`"}`) + "0\r\n\r\n"
	_, r = rawRequest(t, base, big)
	resp, err := http.ReadResponse(r, nil)
	if err != nil || resp.StatusCode != 413 {
		t.Fatalf("chunked body over the limit: %v %v; want 413", resp, err)
	}
}

// TestHeaderLimit: 200 KB of headers answer 431 (hertz's plain-text
// answer: it refuses the head before any route runs); 16 KB pass.
func TestHeaderLimit(t *testing.T) {
	_, base := serveEnv(t, backends[0])
	for _, tc := range []struct {
		bytes int
		want  int
	}{
		{16 << 10, 200},
		{200_000, 431},
	} {
		var b strings.Builder
		b.WriteString("GET /health/live HTTP/1.1\r\nHost: x\r\n")
		for i := 0; b.Len() < tc.bytes; i++ {
			fmt.Fprintf(&b, "X-Pad-%d: %s\r\n", i, strings.Repeat("p", 1000))
		}
		b.WriteString("\r\n")
		_, r := rawRequest(t, base, b.String())
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("%d bytes of headers: %v", tc.bytes, err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%d bytes of headers = %d; want %d", tc.bytes, resp.StatusCode, tc.want)
		}
	}
}

// TestRealtimeOriginDefault: without ALLOWED_ORIGINS the upgrade on PORT
// accepts the request's own host and refuses other origins (it used to
// accept any).
func TestRealtimeOriginDefault(t *testing.T) {
	rt := &fakeRealtime{}
	e := newEnv(t, backends[0], func(_ *httpapiConfig, d *httpapiDeps) { d.Realtime = rt })
	if w := e.as(e.a, "GET", "/ws/realtime-sync", "", "Host: api.example.com", "Origin: https://evil.example.com"); w.Code != 403 {
		t.Errorf("foreign origin = %d; want 403", w.Code)
	}
	if w := e.as(e.a, "GET", "/ws/realtime-sync", "", "Host: api.example.com", "Origin: https://api.example.com"); w.Code != 101 {
		t.Errorf("same-host origin = %d; want 101", w.Code)
	}
	if w := e.as(e.a, "GET", "/ws/realtime-sync", ""); w.Code != 101 {
		t.Errorf("no Origin = %d; want 101", w.Code)
	}
}
