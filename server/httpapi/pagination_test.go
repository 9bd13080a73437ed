package httpapi_test

import (
	"strings"
	"testing"
)

// TestCallLogPageDepthBounded: page numbers are OFFSET scans, so a page
// skipping more than server.MaxCallLogOffset (10,000) rows answers 400
// pointing at nextCursor; the deepest allowed page still serves.
func TestCallLogPageDepthBounded(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			e := newEnv(t, be)
			for _, tc := range []struct {
				query string
				want  int
			}{
				{"page=2147483647", 400},
				{"page=502&limit=20", 400},  // skips 10,020 rows
				{"page=501&limit=20", 200},  // skips exactly 10,000
				{"page=101&limit=100", 200}, // 10,000
				{"page=102&limit=100", 400}, // 10,100
				{"page=10001&limit=1", 200}, // 10,000
				{"page=10002&limit=1", 400},
			} {
				w := e.as(e.a, "GET", "/api/call-logs?"+tc.query, "")
				if w.Code != tc.want {
					t.Errorf("GET /api/call-logs?%s = %d %s; want %d", tc.query, w.Code, w.Body.String(), tc.want)
				}
				if tc.want == 400 && !strings.Contains(w.Body.String(), "nextCursor") {
					t.Errorf("GET /api/call-logs?%s: message %s; want it to name nextCursor", tc.query, w.Body.String())
				}
			}
		})
	}
}
