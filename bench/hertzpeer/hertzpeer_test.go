package hertzpeer

import (
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/bench/peer"
)

func TestServesLiveAndAgent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := New(ln, 3)
	go h.Spin()
	t.Cleanup(func() { _ = h.Close() })
	base := "http://" + ln.Addr().String()
	get := func(path string) (int, string) {
		var resp *http.Response
		for i := 0; i < 50; i++ {
			if resp, err = http.Get(base + path); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("GET %s: content type %q", path, ct)
		}
		return resp.StatusCode, string(b)
	}
	if code, body := get("/health/live"); code != 200 || body != `{"status":"ok"}` {
		t.Errorf("/health/live = %d %s", code, body)
	}
	id := peer.DemoAgent(peer.DemoOrganizationID, 2).ID
	if code, body := get("/api/agents/" + id); code != 200 || len(body) < 100 {
		t.Errorf("agent = %d %s", code, body)
	}
	if code, _ := get("/api/agents/nope"); code != 404 {
		t.Errorf("unknown agent = %d, want 404", code)
	}
}
