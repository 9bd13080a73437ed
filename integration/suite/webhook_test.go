package suite_test

import (
	"sync"
	"testing"

	"github.com/echosenseix/echosenseix/integration/harness"
)

// TestWebhookIdempotentAcrossInstances: the same signed post-call webhook
// delivered eight times at once, alternately to A and B (a platform retry
// landing on another instance), stores one call log: every delivery answers
// 200 with the same id, exactly one says created, and the call-log list has
// one row for the conversation. A webhook with a wrong signature is refused
// on both.
func TestWebhookIdempotentAcrossInstances(t *testing.T) {
	d := deploy(t, 2, 1, 1, 1, map[string]string{"SESSION_STORE": "redis", "CACHE_PROVIDER": "redis"})
	agent := d.Org.Agents[0]
	body := harness.PostCallBody(agent.ExternalAgentID, "conv-idempotent-1", 30)
	sig := harness.SignWebhook(d.Org.WebhookSecret, body)

	type answer struct {
		ID      string `json:"id"`
		Created bool   `json:"created"`
	}
	answers := make([]answer, 8)
	res := newTally()
	var wg sync.WaitGroup
	for k := range answers {
		wg.Go(func() {
			i := d.Insts[k%2]
			r, err := harness.NewClient().Do("POST", i.URL+"/api/webhooks/post-call", body, harness.SignatureHeader, sig)
			if res.add("webhook on "+i.Name, r, err, 200) {
				if err := r.JSON(&answers[k]); err != nil {
					res.add("decode", nil, err)
				}
			}
		})
	}
	wg.Wait()
	if bad := res.count(func(s int) bool { return s != 200 }); bad > 0 {
		t.Fatalf("%d deliveries failed: %v", bad, res)
	}
	created := 0
	for _, a := range answers {
		if a.Created {
			created++
		}
		if a.ID == "" || a.ID != answers[0].ID {
			t.Errorf("answers = %+v; want one id for every delivery", answers)
			break
		}
	}
	if created != 1 {
		t.Errorf("%d deliveries said created; want exactly 1 (%+v)", created, answers)
	}

	c := harness.Login(t, d.Insts[1], d.User.Email, d.User.Password)
	var page struct {
		Data []struct {
			ConversationID string `json:"conversationId"`
		} `json:"data"`
	}
	r := c.Must(t, 200, "GET", d.Insts[1].URL+"/api/call-logs", nil)
	if err := r.JSON(&page); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range page.Data {
		if l.ConversationID == "conv-idempotent-1" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("call logs of the conversation = %d; want 1 (%s)", n, r)
	}

	forged := harness.SignWebhook("whsec_wrong", body)
	for _, i := range d.Insts {
		r, err := harness.NewClient().Do("POST", i.URL+"/api/webhooks/post-call", body, harness.SignatureHeader, forged)
		if err != nil || r.Status != 401 {
			t.Errorf("forged webhook on %s = %v %v; want 401", i.Name, r, err)
		}
	}
}
