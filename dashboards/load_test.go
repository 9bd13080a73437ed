package dashboards

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/integration/harness"
	"github.com/echosenseix/echosenseix/internal/wsclient"
)

// driver sends a short, bounded mix that touches every route of the server:
// logins (one failing), reads, agent writes, signed webhooks (one with a bad
// signature), document uploads (queue jobs), job and document reads, the
// realtime token and socket, health, an unknown route.
type driver struct {
	t    *testing.T
	base string
	org  harness.SeedOrg
	user *harness.Client
	anon *harness.Client
	seq  int

	mu       sync.Mutex
	statuses map[string]int // "METHOD path status" -> count, for failure messages
	failures []string       // transport errors and unexpected statuses
}

func newDriver(t *testing.T, inst *harness.Instance, org harness.SeedOrg) *driver {
	u := org.Users[0]
	return &driver{t: t, base: inst.URL, org: org, anon: harness.NewClient(),
		user: harness.Login(t, inst, u.Email, u.Password), statuses: map[string]int{}}
}

// do sends one request and records whether the answer was one of want.
func (d *driver) do(c *harness.Client, method, path string, body any, want []int, hdr ...string) *harness.Response {
	r, err := c.Do(method, d.base+path, body, hdr...)
	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil {
		d.failures = append(d.failures, fmt.Sprintf("%s %s: %v", method, path, err))
		return nil
	}
	d.statuses[fmt.Sprintf("%s %s %d", method, path, r.Status)]++
	for _, w := range want {
		if r.Status == w {
			return r
		}
	}
	d.failures = append(d.failures, fmt.Sprintf("%s %s = %s; want %v", method, path, r, want))
	return r
}

func id(r *harness.Response, key string) string {
	if r == nil {
		return ""
	}
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		return ""
	}
	s, _ := m[key].(string)
	return s
}

// round sends one pass over every route.
func (d *driver) round() {
	ok, u := []int{200}, d.org.Users[0]
	d.seq++
	d.do(d.anon, "POST", "/api/login", map[string]string{"email": u.Email, "password": "wrong-" + u.Password}, []int{401, 429})
	d.do(d.anon, "GET", "/api/agents", nil, []int{401})
	d.do(d.anon, "GET", "/no/such/route", nil, []int{404})
	for _, p := range []string{"/health/live", "/health/ready", "/health", "/api/auth/user", "/api/agents",
		"/api/agents/" + d.org.Agents[0].ID, "/api/call-logs?limit=5", "/api/analytics/organization", "/api/realtime/token"} {
		d.do(d.user, "GET", p, nil, ok)
	}
	ag := d.do(d.user, "POST", "/api/agents", map[string]any{"name": fmt.Sprintf("proof %d", d.seq),
		"externalAgentId": fmt.Sprintf("proof_%d_%d", time.Now().UnixNano(), d.seq)}, []int{201, 200})
	if a := id(ag, "id"); a != "" {
		d.do(d.user, "PATCH", "/api/agents/"+a, map[string]any{"description": "patched"}, ok)
		d.do(d.user, "DELETE", "/api/agents/"+a, nil, []int{200, 204})
	}
	d.webhooks()
	for _, p := range []string{"/api/documents", "/api/documents/upload"} {
		doc := d.do(d.user, "POST", p, map[string]string{"title": "proof", "content": "hello from the proof"}, []int{202})
		if j := id(doc, "jobId"); j != "" {
			d.do(d.user, "GET", "/api/jobs/"+j, nil, ok)
		}
		if di := id(doc, "documentId"); di != "" {
			d.do(d.user, "GET", "/api/documents/"+di, nil, ok)
		}
	}
}

// webhooks posts one signed call on each webhook path, one with a bad
// signature, and reads the call log back.
func (d *driver) webhooks() {
	for _, p := range []string{"/api/webhooks/elevenlabs/post-call", "/api/webhooks/post-call"} {
		body := harness.PostCallBody(d.org.Agents[0].ExternalAgentID, fmt.Sprintf("conv_%d_%s", time.Now().UnixNano(), strings.ReplaceAll(p, "/", "")), 30)
		r := d.do(d.anon, "POST", p, body, []int{200}, harness.SignatureHeader, harness.SignWebhook(d.org.WebhookSecret, body))
		if c := id(r, "id"); c != "" {
			d.do(d.user, "GET", "/api/call-logs/"+c, nil, []int{200})
		}
	}
	body := harness.PostCallBody(d.org.Agents[0].ExternalAgentID, "conv_bad_signature", 1)
	d.do(d.anon, "POST", "/api/webhooks/elevenlabs/post-call", body, []int{401}, harness.SignatureHeader, harness.SignWebhook("not-the-secret", body))
}

// socket holds a realtime connection, pings it and reads whatever arrives
// (call_completed events from the webhooks) until ctx ends.
func (d *driver) socket(ctx context.Context) error {
	hdr := http.Header{}
	hdr.Set("Cookie", harness.SessionCookie+"="+d.user.SID)
	ws := "ws://" + strings.TrimPrefix(d.base, "http://") + "/ws/realtime-sync"
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := wsclient.Dial(dctx, ws, hdr)
	if err != nil {
		return fmt.Errorf("cannot open the realtime socket: %w", err)
	}
	defer c.Close()
	go func() { <-ctx.Done(); _ = c.SetReadDeadline(time.Now()) }()
	next := time.Now()
	for ctx.Err() == nil {
		if time.Now().After(next) {
			if err := c.WriteJSON(map[string]string{"type": "ping"}); err != nil {
				return fmt.Errorf("cannot ping the realtime socket: %w", err)
			}
			next = time.Now().Add(500 * time.Millisecond)
		}
		_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		var m map[string]any
		_ = c.ReadJSON(&m)
	}
	return nil
}

// run drives rounds until ctx ends (at most maxRounds), with a socket open
// the whole time; it answers the socket's error.
func (d *driver) run(ctx context.Context, maxRounds int) error {
	sockErr := make(chan error, 1)
	go func() { sockErr <- d.socket(ctx) }()
	for i := 0; i < maxRounds && ctx.Err() == nil; i++ {
		d.round()
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	<-ctx.Done()
	return <-sockErr
}

// Bounds of the shedding burst.
const (
	burstSize     = 24
	burstAttempts = 5
)

// shedBurst posts burstSize webhooks at once against a server started with
// a tiny INGEST_BATCH_MAX_PENDING, until at least one is shed with 503
// (the deliberately failing requests that make the 5xx series exist), at
// most burstAttempts times. It answers how many were shed.
func (d *driver) shedBurst() int {
	shed := 0
	for a := 0; a < burstAttempts && shed == 0; a++ {
		var wg sync.WaitGroup
		var mu sync.Mutex
		for i := range burstSize {
			wg.Go(func() {
				body := harness.PostCallBody(d.org.Agents[1].ExternalAgentID, fmt.Sprintf("burst_%d_%d_%d", time.Now().UnixNano(), a, i), 5)
				r := d.do(d.anon, "POST", "/api/webhooks/elevenlabs/post-call", body, []int{200, 503},
					harness.SignatureHeader, harness.SignWebhook(d.org.WebhookSecret, body))
				if r != nil && r.Status == 503 {
					mu.Lock()
					shed++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
	}
	return shed
}
