package realtime

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// TestHandshakeOriginDefault: with no allow-list, both front doors (hijacked
// hertz and the netpoll listener) accept the request's own host and
// non-browser clients, and refuse another origin with 403.
func TestHandshakeOriginDefault(t *testing.T) {
	forEachMode(t, func(t *testing.T, newServer serverFunc) {
		ts := newServer(t, Config{}, newFakeBus(), nil)
		u, err := url.Parse(ts.http)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name, origin string
			want         int
		}{
			{"no Origin", "", http.StatusSwitchingProtocols},
			{"same host", "http://" + u.Host, http.StatusSwitchingProtocols},
			{"other origin", "https://evil.example.com", http.StatusForbidden},
			{"same host name, other port", "http://" + u.Hostname() + ":1", http.StatusForbidden},
		} {
			req, _ := http.NewRequest("GET", ts.http, nil)
			for k, v := range map[string]string{"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
				"Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "X-Org": "org1", "X-User": "u1"} {
				req.Header.Set(k, v)
			}
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("%s: status = %d; want %d", tc.name, resp.StatusCode, tc.want)
			}
		}
	})
}
