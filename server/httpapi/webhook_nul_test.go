package httpapi_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server/postgres"
)

// nulBodies are post-call webhooks each carrying a NUL somewhere Postgres
// refuses it: a text column (SQLSTATE 22021) or the transcript jsonb
// (22P05).
func nulBody(ext string, i int) string {
	good := postCallBody(ext, fmt.Sprintf("nul-%d", i), 30)
	switch i % 4 {
	case 0:
		return strings.Replace(good, fmt.Sprintf(`"nul-%d"`, i), fmt.Sprintf(`"nul-%d\u0000x"`, i), 1)
	case 1:
		return strings.Replace(good, `"message":"hi"`, `"message":"h\u0000i"`, 1)
	case 2:
		return strings.Replace(good, `"transcript_summary":"ok"`, `"transcript_summary":"o\u0000k"`, 1)
	default:
		return strings.Replace(good, `"+15550001"`, `"+1555\u00000001"`, 1)
	}
}

// TestWebhookNULDoesNotFailOthers reproduces the NUL-byte defect: 8
// webhooks with a NUL from one organization mixed with 120 good ones from
// another, sent at once through the HTTP handler and group commit on real
// Postgres. Every good one is stored (200), every NUL one answers 400
// invalid_request, and Postgres holds exactly the 120.
func TestWebhookNULDoesNotFailOthers(t *testing.T) {
	var db *postgres.DB
	e := newEnv(t, backend{"postgres", func(tb testing.TB) stores { db = openPostgres(tb); return postgres.NewStore(db) }})
	const good, bad = 120, 8
	type answer struct {
		bad  bool
		code int
		body string
	}
	answers := make([]answer, good+bad)
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tn, body := e.a, postCallBody(e.a.agent.ExternalAgentID, fmt.Sprintf("good-%d", i), 60)
			if i%16 == 5 { // 8 of 128, spread among the good ones
				tn, body = e.b, nulBody(e.b.agent.ExternalAgentID, i)
			}
			<-gate
			code, resp := e.webhook(tn, body, time.Now())
			answers[i] = answer{bad: tn.org.ID == e.b.org.ID, code: code, body: resp}
		}()
	}
	close(gate)
	wg.Wait()
	var ok, rejected int
	for i, a := range answers {
		switch {
		case !a.bad && a.code == 200:
			ok++
		case a.bad && a.code == 400 && strings.Contains(a.body, `"invalid_request"`):
			rejected++
		default:
			t.Errorf("webhook %d (nul %v) = %d %s; want 200 for good, 400 invalid_request for NUL", i, a.bad, a.code, a.body)
		}
	}
	if ok != good || rejected != bad {
		t.Errorf("got %d good stored and %d NUL rejected; want %d and %d", ok, rejected, good, bad)
	}
	for _, tc := range []struct {
		org  string
		want int
	}{{e.a.org.ID, good}, {e.b.org.ID, 0}} {
		var n int
		err := db.Pool().QueryRow(context.Background(), "SELECT count(*) FROM call_logs WHERE organization_id = $1", tc.org).Scan(&n)
		if err != nil || n != tc.want {
			t.Errorf("call_logs of organization %s = %d (%v); want %d", tc.org, n, err, tc.want)
		}
	}
}

// TestNULRejectedOnWrites: a NUL in an agent's or a document's text answers
// 400 invalid_request (it used to reach Postgres and answer 500).
func TestNULRejectedOnWrites(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			e := newEnv(t, be)
			tests := []struct{ name, method, path, body string }{
				{"agent name", "POST", "/api/agents", `{"name":"a\u0000b"}`},
				{"agent prompt", "POST", "/api/agents", `{"name":"ok","systemPrompt":"x\u0000"}`},
				{"agent settings", "POST", "/api/agents", `{"name":"ok","settings":{"k":"v\u0000"}}`},
				{"agent patch name", "PATCH", "/api/agents/" + e.a.agent.ID, `{"name":"\u0000"}`},
				{"document title", "POST", "/api/documents", `{"title":"t\u0000","content":"hello"}`},
				{"document content", "POST", "/api/documents", `{"title":"t","content":"he\u0000llo"}`},
			}
			for _, tt := range tests {
				w := e.as(e.a, tt.method, tt.path, tt.body)
				if w.Code != 400 {
					t.Errorf("%s: %s %s = %d %s; want 400", tt.name, tt.method, tt.path, w.Code, w.Body.String())
					continue
				}
				if code := errorCode(t, w); code != "invalid_request" {
					t.Errorf("%s: code = %q; want invalid_request", tt.name, code)
				}
			}
			if w := e.as(e.a, "GET", "/api/agents/"+e.a.agent.ID, ""); !strings.Contains(w.Body.String(), `"agent a"`) {
				t.Errorf("agent after refused patch = %s; want its name unchanged", w.Body.String())
			}
		})
	}
}
