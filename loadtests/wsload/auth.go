package wsload

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/echosenseix/echosenseix/internal/seed"
	"github.com/echosenseix/echosenseix/internal/webhook"
	"github.com/echosenseix/echosenseix/server"
)

// Seed is the demo data printed by `echosenseix seed` or `serve --seed-out`
// (see internal/seed).
type Seed = seed.File

// SeedOrg is one seeded organization.
type SeedOrg = seed.Org

// ReadSeed reads and checks a seed JSON file.
func ReadSeed(path string) (*Seed, error) {
	s, err := seed.Read(path)
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// authLanes is how many keep-alive connections log users in and fetch
// tokens. A user always uses the same lane, hence the same connection and,
// in a cluster with memory sessions, the same worker.
const authLanes = 8

// tokenSource logs the plan's users in and keeps their realtime tokens.
type tokenSource struct {
	base  string
	seed  *Seed
	users [][2]int // (org, user) pairs
	lanes [authLanes]*http.Client

	mu     sync.Mutex
	sids   map[string]string
	tokens map[string]string
	ttl    time.Duration // shortest token lifetime seen
}

func newTokenSource(base string, seed *Seed, p Plan) *tokenSource {
	ts := &tokenSource{base: base, seed: seed, sids: map[string]string{}, tokens: map[string]string{}}
	for i := range ts.lanes {
		ts.lanes[i] = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}}
	}
	for org := range p.Users {
		for u := range p.UsersNeeded(org) {
			ts.users = append(ts.users, [2]int{org, u})
		}
	}
	return ts
}

// refresh fetches a token for every user (logging in when needed).
func (ts *tokenSource) refresh(ctx context.Context) (map[string]string, error) {
	var wg sync.WaitGroup
	errs := make(chan error, len(ts.users))
	for lane := range authLanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lane; i < len(ts.users); i += authLanes {
				if err := ts.fetch(ctx, ts.lanes[lane], ts.users[i][0], ts.users[i][1]); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	out := make(map[string]string, len(ts.tokens))
	for k, v := range ts.tokens {
		out[k] = v
	}
	return out, nil
}

// fetch gets one user's token, logging in first or again after a 401.
func (ts *tokenSource) fetch(ctx context.Context, c *http.Client, org, user int) error {
	key := TokenKey(org, user)
	for attempt := range 2 {
		ts.mu.Lock()
		sid := ts.sids[key]
		ts.mu.Unlock()
		if sid == "" || attempt > 0 {
			var err error
			if sid, err = ts.login(ctx, c, org, user); err != nil {
				return err
			}
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.base+"/api/realtime/token", nil)
		req.AddCookie(&http.Cookie{Name: server.SessionCookie, Value: sid})
		resp, err := c.Do(req)
		if err != nil {
			return fmt.Errorf("cannot get a realtime token: %w", err)
		}
		var ans struct {
			Token     string    `json:"token"`
			ExpiresAt time.Time `json:"expiresAt"`
		}
		err = json.NewDecoder(resp.Body).Decode(&ans)
		resp.Body.Close()
		if resp.StatusCode == http.StatusUnauthorized {
			continue
		}
		if resp.StatusCode != http.StatusOK || err != nil || ans.Token == "" {
			return fmt.Errorf("cannot get a realtime token: status %d: %v", resp.StatusCode, err)
		}
		ts.mu.Lock()
		ts.tokens[key] = ans.Token
		if ttl := time.Until(ans.ExpiresAt); ttl > 0 && (ts.ttl == 0 || ttl < ts.ttl) {
			ts.ttl = ttl
		}
		ts.mu.Unlock()
		return nil
	}
	return fmt.Errorf("cannot get a realtime token for user %s: 401 after a fresh login", key)
}

func (ts *tokenSource) login(ctx context.Context, c *http.Client, org, user int) (string, error) {
	u := ts.seed.Organizations[org].Users[user]
	body, _ := json.Marshal(map[string]string{"email": u.Email, "password": u.Password})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts.base+"/api/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return "", fmt.Errorf("cannot log in %s: %w", u.Email, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.Name == server.SessionCookie && resp.StatusCode == http.StatusOK {
			ts.mu.Lock()
			ts.sids[TokenKey(org, user)] = ck.Value
			ts.mu.Unlock()
			return ck.Value, nil
		}
	}
	return "", fmt.Errorf("cannot log in %s: status %d", u.Email, resp.StatusCode)
}

// refreshEvery answers how often tokens are renewed: half their lifetime,
// at most 30 s (a token is checked only at the upgrade, so a socket
// outlives it; only connections opened later need a fresh one).
func (ts *tokenSource) refreshEvery() time.Duration {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.ttl <= 0 {
		return 30 * time.Second
	}
	return min(30*time.Second, max(ts.ttl/2, time.Second))
}

// webhookDriver posts signed post-call webhooks for one organization.
type webhookDriver struct {
	base   string
	run    string
	secret []byte
	agent  string
	client *http.Client

	mu   sync.Mutex
	seq  uint32
	sent int
	ok   int
	errs map[string]int
}

func newWebhookDriver(base, run string, org SeedOrg) (*webhookDriver, error) {
	if len(org.Agents) == 0 || org.WebhookSecret == "" {
		return nil, fmt.Errorf("cannot drive webhooks: organization %s has no agent or secret", org.ID)
	}
	return &webhookDriver{base: base, run: run, secret: []byte(org.WebhookSecret), agent: org.Agents[0].ExternalAgentID,
		client: &http.Client{Timeout: 10 * time.Second}, errs: map[string]int{}}, nil
}

// WebhookBody answers the post-call webhook for conversation id conv.
func WebhookBody(agent, conv string, ts int64) []byte {
	b, _ := json.Marshal(map[string]any{
		"type": "post_call_transcription", "event_timestamp": ts,
		"data": map[string]any{"agent_id": agent, "conversation_id": conv, "status": "done", "transcript": []any{},
			"metadata": map[string]any{"call_duration_secs": 42, "cost": 0.12},
			"analysis": map[string]any{"transcript_summary": "x"}},
	})
	return b
}

// send posts one webhook; the conversation id carries its send time.
func (w *webhookDriver) send(ctx context.Context) {
	w.mu.Lock()
	w.seq++
	seq := w.seq
	w.sent++
	w.mu.Unlock()
	now := time.Now()
	body := WebhookBody(w.agent, ConversationID(w.run, seq, now.UnixNano()), now.Unix())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, w.base+"/api/webhooks/elevenlabs/post-call", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhook.Header, webhook.Sign(w.secret, body, now))
	resp, err := w.client.Do(req)
	kind := ""
	if err != nil {
		kind = "transport"
	} else {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			kind = "status " + strconv.Itoa(resp.StatusCode)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if kind == "" {
		w.ok++
	} else {
		w.errs[kind]++
	}
}
