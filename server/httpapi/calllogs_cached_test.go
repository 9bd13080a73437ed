package httpapi_test

import (
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// The first call-log page is served from memory (CallLogsTTL) but a call
// stored through this server shows at once, for every limit and agent
// filter, and only in its own organization.
func TestCallLogsFirstPageCachedUntilACallLands(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			e := newEnv(t, be)
			paths := []string{"/api/call-logs", "/api/call-logs?limit=20", "/api/call-logs?page=1&limit=5",
				"/api/call-logs?agentId=" + e.a.agent.ID}
			for _, p := range paths { // warm every variant
				if pg := decode[server.CallLogPage](t, e.as(e.a, "GET", p, "")); pg.Total != 0 {
					t.Fatalf("GET %s total = %d; want 0", p, pg.Total)
				}
			}
			_ = decode[server.CallLogPage](t, e.as(e.b, "GET", "/api/call-logs", ""))
			for i, conv := range []string{"cached-1", "cached-2"} {
				if code, resp := e.webhook(e.a, postCallBody(e.a.agent.ExternalAgentID, conv, 10), time.Now()); code != 200 {
					t.Fatalf("webhook = %d %s; want 200", code, resp)
				}
				for _, p := range paths {
					pg := decode[server.CallLogPage](t, e.as(e.a, "GET", p, ""))
					if pg.Total != int64(i+1) || len(pg.Data) != i+1 || pg.Data[0].ConversationID != conv {
						t.Errorf("GET %s after call %d: total %d, %d rows; want %d with %s first", p, i+1, pg.Total, len(pg.Data), i+1, conv)
					}
				}
			}
			if pg := decode[server.CallLogPage](t, e.as(e.b, "GET", "/api/call-logs", "")); pg.Total != 0 || len(pg.Data) != 0 {
				t.Errorf("org B sees %d calls; want 0", pg.Total)
			}
		})
	}
}
