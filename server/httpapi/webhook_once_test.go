package httpapi_test

import (
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// TestWebhookValidatesOnce counts CallLog.Validate runs per post-call
// webhook, through the route, the use case, group commit and each store:
// one per delivery (it was three: the handler, the batcher and the store).
func TestWebhookValidatesOnce(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			e := newEnv(t, be)
			for i, conv := range []string{"conv-once-1", "conv-once-2", "conv-once-1"} {
				before := server.CallLogValidations()
				if code, resp := e.webhook(e.a, postCallBody(e.a.agent.ExternalAgentID, conv, 30), time.Now()); code != 200 {
					t.Fatalf("webhook #%d = %d %s; want 200", i, code, resp)
				}
				if got := server.CallLogValidations() - before; got != 1 {
					t.Errorf("webhook #%d (%s): Validate ran %d times; want 1", i, conv, got)
				}
			}
		})
	}
}
