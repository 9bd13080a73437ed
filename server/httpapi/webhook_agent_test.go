package httpapi_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/httpapi"
)

// countingLookup counts AgentByExternalID calls.
type countingLookup struct {
	next  server.AgentLookup
	calls atomic.Int64
}

func (c *countingLookup) AgentByExternalID(ctx context.Context, id string) (*server.Agent, error) {
	c.calls.Add(1)
	return c.next.AgentByExternalID(ctx, id)
}

// TestWebhookUnknownAgentLooksLikeBadSignature: an
// unknown agent id gets exactly the status and body of a known agent with a
// bad signature, whatever secret signed it.
func TestWebhookUnknownAgentLooksLikeBadSignature(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			e := newEnv(t, be)
			post := func(body, secret string) (int, string) {
				sig := httpapi.Sign([]byte(secret), []byte(body), time.Now())
				w := e.do("POST", "/api/webhooks/elevenlabs/post-call", body, httpapi.SignatureHeader+": "+sig)
				return w.Code, w.Body.String()
			}
			wantCode, wantBody := post(postCallBody(e.a.agent.ExternalAgentID, "c1", 1), "not-the-secret")
			if wantCode != 401 {
				t.Fatalf("known agent, bad signature = %d %s; want 401", wantCode, wantBody)
			}
			tests := []struct{ name, body, secret string }{
				{"unknown agent, A's secret", postCallBody("no-such-agent", "c1", 1), e.a.org.WebhookSecret},
				{"unknown agent, any secret", postCallBody("no-such-agent-2", "c1", 1), "whatever"},
				{"overlong agent id", postCallBody(strings.Repeat("x", 300), "c1", 1), e.a.org.WebhookSecret},
				{"B's agent, A's secret", postCallBody(e.b.agent.ExternalAgentID, "c1", 1), e.a.org.WebhookSecret},
			}
			for _, tt := range tests {
				for range 2 { // the second one is answered from the negative cache
					if code, body := post(tt.body, tt.secret); code != wantCode || body != wantBody {
						t.Errorf("%s: %d %s; want %d %s (same as a bad signature)", tt.name, code, body, wantCode, wantBody)
					}
				}
			}
		})
	}
}

// TestWebhookUnknownAgentCached: a flood of one
// unknown agent id is one store lookup per WebhookNegativeTTL; creating the
// agent makes its next webhook land at once.
func TestWebhookUnknownAgentCached(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			var lookup *countingLookup
			e := newEnv(t, be, func(c *httpapiConfig, d *httpapiDeps) {
				lookup = &countingLookup{next: d.Lookup}
				d.Lookup = lookup
				c.WebhookNegativeTTL = time.Hour
			})
			ext := "ext-later-" + uniq()
			var wg sync.WaitGroup
			for i := range 100 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if code, body := e.webhook(e.a, postCallBody(ext, fmt.Sprint("c", i), 1), time.Now()); code != 401 {
						t.Errorf("unknown agent webhook = %d %s; want 401", code, body)
					}
				}()
			}
			wg.Wait()
			// Concurrent misses share one load; a request that missed just
			// as a load ended may start another: a few, not one per request.
			flood := lookup.calls.Load()
			if flood < 1 || flood > 5 {
				t.Errorf("100 concurrent webhooks of one unknown agent made %d store lookups; want 1 to 5", flood)
			}
			for i := range 50 {
				if code, body := e.webhook(e.a, postCallBody(ext, fmt.Sprint("s", i), 1), time.Now()); code != 401 {
					t.Fatalf("unknown agent webhook = %d %s; want 401", code, body)
				}
			}
			if got := lookup.calls.Load(); got != flood {
				t.Errorf("50 more webhooks of the unknown agent made %d more lookups; want 0 (cached)", got-flood)
			}
			w := e.as(e.a, "POST", "/api/agents", fmt.Sprintf(`{"name":"later","externalAgentId":%q}`, ext))
			if w.Code != 201 {
				t.Fatalf("create agent = %d %s", w.Code, w.Body.String())
			}
			if code, body := e.webhook(e.a, postCallBody(ext, "c-after", 1), time.Now()); code != 200 {
				t.Errorf("webhook after the agent was created = %d %s; want 200 (negative entry dropped)", code, body)
			}
			if got := lookup.calls.Load(); got != flood+1 {
				t.Errorf("store lookups after creation = %d; want %d (one more)", got, flood+1)
			}
		})
	}
}

// TestWebhookNegativeTTLExpires: past WebhookNegativeTTL the store is asked
// again; a negative TTL turns the negative cache off.
func TestWebhookNegativeTTLExpires(t *testing.T) {
	tests := []struct {
		ttl   time.Duration
		sleep time.Duration
		want  int64 // lookups for 3 webhooks
	}{
		{50 * time.Millisecond, 0, 1},
		{50 * time.Millisecond, 120 * time.Millisecond, 3},
		{-1, 0, 3},
	}
	for _, tt := range tests {
		var lookup *countingLookup
		e := newEnv(t, backends[0], func(c *httpapiConfig, d *httpapiDeps) {
			lookup = &countingLookup{next: d.Lookup}
			d.Lookup = lookup
			c.WebhookNegativeTTL = tt.ttl
		})
		for i := range 3 {
			if code, body := e.webhook(e.a, postCallBody("nobody", fmt.Sprint("c", i), 1), time.Now()); code != 401 {
				t.Fatalf("unknown agent webhook = %d %s; want 401", code, body)
			}
			time.Sleep(tt.sleep)
		}
		if got := lookup.calls.Load(); got != tt.want {
			t.Errorf("ttl %v, %v apart: 3 webhooks made %d lookups; want %d", tt.ttl, tt.sleep, got, tt.want)
		}
	}
}
