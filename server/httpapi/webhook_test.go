package httpapi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/httpapi"
)

func postCallBody(extAgentID, convID string, duration any) string {
	return fmt.Sprintf(`{"type":"post_call_transcription","event_timestamp":%d,"data":{"agent_id":%q,"conversation_id":%q,`+
		`"status":"done","transcript":[{"role":"agent","message":"hi"}],"metadata":{"call_duration_secs":%v,"cost":12.5,`+
		`"phone_call":{"external_number":"+15550001","call_sid":"CA1"},"extra":1},"analysis":{"transcript_summary":"ok"},"more":{}},"x":1}`,
		time.Now().Unix(), extAgentID, convID, duration)
}

func (e *env) webhook(tn tenant, body string, at time.Time) (int, string) {
	sig := httpapi.Sign([]byte(tn.org.WebhookSecret), []byte(body), at)
	w := e.do("POST", "/api/webhooks/elevenlabs/post-call", body, httpapi.SignatureHeader+": "+sig)
	return w.Code, w.Body.String()
}

func TestWebhookIngest(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			e := newEnv(t, be)
			// Warm the analytics cache: the webhook must invalidate it.
			if got := decode[server.Analytics](t, e.as(e.a, "GET", "/api/analytics/organization", "")); got.TotalCalls != 0 {
				t.Fatalf("initial totalCalls = %d; want 0", got.TotalCalls)
			}
			_ = e.as(e.a, "GET", "/api/analytics/organization?agentId="+e.a.agent.ID, "")
			body := postCallBody(e.a.agent.ExternalAgentID, "conv-1", 125)
			code, resp := e.webhook(e.a, body, time.Now())
			if code != 200 {
				t.Fatalf("webhook = %d %s; want 200", code, resp)
			}
			var res struct {
				ID      string `json:"id"`
				Created bool   `json:"created"`
			}
			_ = json.Unmarshal([]byte(resp), &res)
			if !res.Created || res.ID == "" {
				t.Fatalf("answer = %s; want created with id", resp)
			}
			// Alias route, duplicate delivery: same id, not created.
			sig := httpapi.Sign([]byte(e.a.org.WebhookSecret), []byte(body), time.Now())
			w := e.do("POST", "/api/webhooks/post-call", body, "ElevenLabs-Signature: "+sig)
			var dup struct {
				ID      string `json:"id"`
				Created bool   `json:"created"`
			}
			_ = json.Unmarshal(w.Body.Bytes(), &dup)
			if w.Code != 200 || dup.ID != res.ID || dup.Created {
				t.Errorf("duplicate = %d %s; want 200 id %s created false", w.Code, w.Body.String(), res.ID)
			}
			cl := decode[server.CallLog](t, e.as(e.a, "GET", "/api/call-logs/"+res.ID, ""))
			if cl.Duration != 125 || cl.Cost != 12.5 || cl.AgentID != e.a.agent.ID || cl.PhoneNumber != "+15550001" ||
				cl.Summary != "ok" || cl.ConversationID != "conv-1" || !strings.Contains(string(cl.Transcript), "hi") {
				t.Errorf("stored call log = %+v", cl)
			}
			an := decode[server.Analytics](t, e.as(e.a, "GET", "/api/analytics/organization", ""))
			if an.TotalCalls != 1 || an.EstimatedCost != 12.5 || an.LastCallAt == nil {
				t.Errorf("analytics after call = %+v; want 1 call, cost 12.5 (cache invalidated)", an)
			}
			an = decode[server.Analytics](t, e.as(e.a, "GET", "/api/analytics/organization?agentId="+e.a.agent.ID, ""))
			if an.TotalCalls != 1 {
				t.Errorf("agent analytics after call = %+v; want 1 call", an)
			}
			evs := e.bus.published()
			if len(evs) != 1 || evs[0].Type != "call_completed" || evs[0].OrganizationID != e.a.org.ID {
				t.Fatalf("events = %+v; want one call_completed for org A", evs)
			}
			var data map[string]any
			_ = json.Unmarshal(evs[0].Data, &data)
			if data["callLogId"] != res.ID || data["conversationId"] != "conv-1" || data["duration"] != 125.0 || data["status"] != "done" {
				t.Errorf("event data = %v", data)
			}
			// B sees nothing of it.
			wantError(t, e.as(e.b, "GET", "/api/call-logs/"+res.ID, ""), 404)
			if an := decode[server.Analytics](t, e.as(e.b, "GET", "/api/analytics/organization", "")); an.TotalCalls != 0 {
				t.Errorf("B analytics = %+v; want 0 calls", an)
			}
			if p := decode[server.CallLogPage](t, e.as(e.b, "GET", "/api/call-logs", "")); p.Total != 0 || len(p.Data) != 0 {
				t.Errorf("B call logs = %+v; want none", p)
			}
		})
	}
}

func TestWebhookRejects(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			e := newEnv(t, be)
			ext := e.a.agent.ExternalAgentID
			good := postCallBody(ext, "conv-x", 10)
			goodSig := httpapi.Sign([]byte(e.a.org.WebhookSecret), []byte(good), time.Now())
			tests := []struct {
				name, body, sig string
				status          int
			}{
				{"no signature", good, "", 401},
				{"garbage signature", good, "nonsense", 401},
				{"overlong v0 (found by FuzzWebhook: it panicked)", good, "t=" + strings.Split(goodSig, ",")[0][2:] + ",v0=" + strings.Repeat("0", 66), 401},
				{"short v0", good, "t=1,v0=00", 401},
				{"wrong secret", good, httpapi.Sign([]byte("other"), []byte(good), time.Now()), 401},
				{"other org's secret", good, httpapi.Sign([]byte(e.b.org.WebhookSecret), []byte(good), time.Now()), 401},
				{"body changed", strings.Replace(good, `"call_duration_secs":10`, `"call_duration_secs":11`, 1), goodSig, 401},
				{"stale", good, httpapi.Sign([]byte(e.a.org.WebhookSecret), []byte(good), time.Now().Add(-6*time.Minute)), 401},
				{"future", good, httpapi.Sign([]byte(e.a.org.WebhookSecret), []byte(good), time.Now().Add(6*time.Minute)), 401},
				{"unknown agent", postCallBody("nobody", "c", 1), "sign", 401},
				{"malformed", `{"type":"post_call_transcription","data":{"agent_id":"` + ext + `"`, "sign", 400},
				{"no agent id", `{"type":"post_call_transcription","data":{}}`, "sign", 400},
				{"negative duration", postCallBody(ext, "c-neg", -5), "sign", 400},
				{"duration string", postCallBody(ext, "c-str", `"10"`), "sign", 400},
				{"missing conversation", postCallBody(ext, "", 5), "sign", 400},
				{"missing metadata", `{"type":"post_call_transcription","data":{"agent_id":"` + ext + `","conversation_id":"c"}}`, "sign", 400},
				{"missing duration", `{"type":"post_call_transcription","data":{"agent_id":"` + ext + `","conversation_id":"c","metadata":{}}}`, "sign", 400},
				{"transcript object", `{"type":"post_call_transcription","data":{"agent_id":"` + ext + `","conversation_id":"c","transcript":{},"metadata":{"call_duration_secs":1}}}`, "sign", 400},
			}
			for _, tt := range tests {
				sig := tt.sig
				if sig == "sign" {
					sig = httpapi.Sign([]byte(e.a.org.WebhookSecret), []byte(tt.body), time.Now())
				}
				var hs []string
				if sig != "" {
					hs = append(hs, "ElevenLabs-Signature: "+sig)
				}
				w := e.do("POST", "/api/webhooks/elevenlabs/post-call", tt.body, hs...)
				if w.Code != tt.status {
					t.Errorf("%s: status = %d %s; want %d", tt.name, w.Code, w.Body.String(), tt.status)
					continue
				}
				errorCode(t, w)
			}
			if p := decode[server.CallLogPage](t, e.as(e.a, "GET", "/api/call-logs", "")); p.Total != 0 {
				t.Errorf("stored %d call logs after rejected webhooks; want 0", p.Total)
			}
			if n := len(e.bus.published()); n != 0 {
				t.Errorf("published %d events; want 0", n)
			}
			other := `{"type":"post_call_audio","data":{"agent_id":"` + ext + `","full_audio":"AAAA"}}`
			code, resp := e.webhook(e.a, other, time.Now())
			if code != 200 || !strings.Contains(resp, "ignored") {
				t.Errorf("other type = %d %s; want 200 ignored", code, resp)
			}
		})
	}
}

func TestWebhookPublishFailureDoesNotFail(t *testing.T) {
	e := newEnv(t, backends[0])
	e.bus.fail = server.Errorf(server.EUNAVAILABLE, "bus down")
	if code, resp := e.webhook(e.a, postCallBody(e.a.agent.ExternalAgentID, "c-bus", 3), time.Now()); code != 200 {
		t.Fatalf("webhook with bus down = %d %s; want 200", code, resp)
	}
	if !strings.Contains(e.logs.String(), "cannot publish call_completed") {
		t.Errorf("publish failure not logged: %s", e.logs.String())
	}
}

func TestWebhookConcurrentDuplicates(t *testing.T) {
	e := newEnv(t, backends[0])
	body := postCallBody(e.a.agent.ExternalAgentID, "conv-dup", 7)
	var wg sync.WaitGroup
	ids := make([]string, 50)
	created := make([]bool, 50)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, resp := e.webhook(e.a, body, time.Now())
			var r struct {
				ID      string
				Created bool
			}
			_ = json.Unmarshal([]byte(resp), &r)
			if code == 200 {
				ids[i], created[i] = r.ID, r.Created
			}
		}()
	}
	wg.Wait()
	n := 0
	for i := range ids {
		if ids[i] == "" || ids[i] != ids[0] {
			t.Fatalf("answer %d id = %q; want every answer 200 with %q", i, ids[i], ids[0])
		}
		if created[i] {
			n++
		}
	}
	if n != 1 {
		t.Errorf("created answers = %d; want 1", n)
	}
}

func TestCallLogsList(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			e := newEnv(t, be)
			for i := 0; i < 5; i++ {
				if code, resp := e.webhook(e.a, postCallBody(e.a.agent.ExternalAgentID, fmt.Sprintf("conv-%d", i), i), time.Now()); code != 200 {
					t.Fatalf("webhook = %d %s", code, resp)
				}
			}
			seen := map[string]bool{}
			cursor := ""
			for page := 0; page < 5; page++ {
				p := decode[server.CallLogPage](t, e.as(e.a, "GET", "/api/call-logs?limit=2&agentId="+e.a.agent.ID+"&cursor="+cursor, ""))
				if p.Total != 5 || p.PageSize != 2 {
					t.Fatalf("page = total %d size %d; want 5, 2", p.Total, p.PageSize)
				}
				for _, l := range p.Data {
					seen[l.ID] = true
				}
				if cursor = p.NextCursor; cursor == "" {
					break
				}
			}
			if len(seen) != 5 {
				t.Errorf("walked %d distinct logs; want 5", len(seen))
			}
			p := decode[server.CallLogPage](t, e.as(e.a, "GET", "/api/call-logs?page=3&limit=2", ""))
			if len(p.Data) != 1 || p.Page != 3 || p.TotalPages != 3 {
				t.Errorf("page 3 = %d rows page %d of %d; want 1 row, page 3 of 3", len(p.Data), p.Page, p.TotalPages)
			}
			for _, q := range []string{"limit=0", "limit=101", "limit=x", "page=0", "page=-1", "agentId=nope"} {
				wantError(t, e.as(e.a, "GET", "/api/call-logs?"+q, ""), 400)
			}
			wantError(t, e.as(e.a, "GET", "/api/analytics/organization?agentId=nope", ""), 400)
			wantError(t, e.as(e.a, "GET", "/api/call-logs/nope", ""), 404)
			wantError(t, e.as(e.a, "GET", "/api/call-logs/00000000-0000-0000-0000-000000000000", ""), 404)
			for _, path := range []string{"/api/call-logs", "/api/call-logs/00000000-0000-0000-0000-000000000000", "/api/analytics/organization"} {
				wantError(t, e.do("GET", path, ""), 401)
			}
		})
	}
}
