package faults_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/echosenseix/echosenseix/integration/harness"
)

// ledger is the sender's side of post-call webhooks: each call has a unique
// conversation id; a delivery is acknowledged by a 2xx; the rest are retried
// as the platform would (same body, signed again), and at the end the
// acknowledged set is compared with Postgres.
type ledger struct {
	prefix string
	org    harness.SeedOrg
	seq    atomic.Int64

	mu       sync.Mutex
	bodies   map[string][]byte // every call sent, by conversation id
	acked    map[string]bool
	attempts int
	retried  int
}

func newLedger(scenario string, org harness.SeedOrg) *ledger {
	return &ledger{prefix: fmt.Sprintf("%s-%d-", scenario, time.Now().UnixNano()), org: org,
		bodies: map[string][]byte{}, acked: map[string]bool{}}
}

// send makes a new call and delivers it once to url.
func (l *ledger) send(c *harness.Client, url string) (*harness.Response, error) {
	n := l.seq.Add(1)
	conv := fmt.Sprintf("%s%06d", l.prefix, n)
	agent := l.org.Agents[int(n)%len(l.org.Agents)]
	body := harness.PostCallBody(agent.ExternalAgentID, conv, int(n%600)+1)
	l.mu.Lock()
	l.bodies[conv] = body
	l.mu.Unlock()
	return l.deliver(c, url, conv)
}

func (l *ledger) deliver(c *harness.Client, url, conv string) (*harness.Response, error) {
	l.mu.Lock()
	body := l.bodies[conv]
	l.attempts++
	l.mu.Unlock()
	r, err := c.Do("POST", url+"/api/webhooks/post-call", body, harness.SignatureHeader, harness.SignWebhook(l.org.WebhookSecret, body))
	if err == nil && r.Status >= 200 && r.Status < 300 {
		l.mu.Lock()
		l.acked[conv] = true
		l.mu.Unlock()
	}
	return r, err
}

// unacked answers the calls not acknowledged yet, sorted.
func (l *ledger) unacked() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for conv := range l.bodies {
		if !l.acked[conv] {
			out = append(out, conv)
		}
	}
	slices.Sort(out)
	return out
}

// retryAll delivers every unacknowledged call again, honouring a
// Retry-After of at most 1 s, until all are acknowledged or d passes.
func (l *ledger) retryAll(t *testing.T, url string, d time.Duration) {
	t.Helper()
	c := harness.NewClient()
	deadline := time.Now().Add(d)
	for round := 0; ; round++ {
		todo := l.unacked()
		if len(todo) == 0 || time.Now().After(deadline) {
			return
		}
		if round > 0 {
			time.Sleep(200 * time.Millisecond)
		}
		for _, conv := range todo {
			l.mu.Lock()
			l.retried++
			l.mu.Unlock()
			if r, err := l.deliver(c, url, conv); err == nil && r.Header.Get("Retry-After") != "" {
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
}

// ledgerResult is the comparison with Postgres.
type ledgerResult struct {
	Sent, Acked, Stored, Duplicates, Extra, Missing, Retried int
}

func (r ledgerResult) String() string {
	return fmt.Sprintf("sent %d acked %d stored %d dup %d extra %d missing %d retried %d",
		r.Sent, r.Acked, r.Stored, r.Duplicates, r.Extra, r.Missing, r.Retried)
}

// verify retries what was not acknowledged (up to retryFor), then compares
// with Postgres: every call acknowledged, each stored exactly once, nothing
// stored that was not sent. Violations fail t.
func (l *ledger) verify(t *testing.T, url, dsn string, retryFor time.Duration) ledgerResult {
	t.Helper()
	l.retryAll(t, url, retryFor)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("ledger: %v", err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `SELECT conversation_id, count(*) FROM call_logs
		WHERE organization_id = $1 AND conversation_id LIKE $2 GROUP BY conversation_id`, l.org.ID, l.prefix+"%")
	if err != nil {
		t.Fatalf("ledger: %v", err)
	}
	stored := map[string]int{}
	for rows.Next() {
		var conv string
		var n int
		if err := rows.Scan(&conv, &n); err != nil {
			t.Fatal(err)
		}
		stored[conv] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	res := ledgerResult{Sent: len(l.bodies), Acked: len(l.acked), Stored: len(stored), Retried: l.retried}
	var bad []string
	for conv, n := range stored {
		if n > 1 {
			res.Duplicates++
			bad = append(bad, fmt.Sprintf("%s stored %d times", conv, n))
		}
		if _, ok := l.bodies[conv]; !ok {
			res.Extra++
			bad = append(bad, conv+" stored but never sent")
		}
	}
	for conv := range l.acked {
		if stored[conv] == 0 {
			res.Missing++
			bad = append(bad, conv+" acknowledged but not stored")
		}
	}
	if res.Acked != res.Sent {
		t.Errorf("ledger: %d of %d calls still unacknowledged after %v of retries", res.Sent-res.Acked, res.Sent, retryFor)
	}
	if res.Duplicates+res.Extra+res.Missing > 0 {
		if len(bad) > 10 {
			bad = bad[:10]
		}
		t.Errorf("ledger: %v: %q", res, bad)
	}
	if res.Sent == 0 {
		t.Error("ledger: no call was sent")
	}
	return res
}
