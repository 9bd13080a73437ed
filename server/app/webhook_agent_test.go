package app_test

import (
	"errors"
	"testing"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/app"
)

// TestWebhookAgentNegativeCacheDroppedOnCreate: an unknown external id is
// remembered as unknown, and creating an agent with that id makes it known
// at once (OpCreateAgent drops WebhookAgentKey).
func TestWebhookAgentNegativeCacheDroppedOnCreate(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.WebhookAgent(tctx(t), "ext-later"); !errors.Is(err, app.ErrUnknownAgent) {
		t.Fatalf("WebhookAgent(unknown) = %v; want ErrUnknownAgent", err)
	}
	if b, ok, _ := e.cache.Get(tctx(t), app.WebhookAgentKey("ext-later")); !ok || string(b) != "-" {
		t.Fatalf("cached %q (%v) under the unknown id; want the negative entry \"-\"", b, ok)
	}
	a := &server.Agent{OrganizationID: e.org.ID, Name: "Later", ExternalAgentID: "ext-later", IsActive: true}
	if err := e.svc.CreateAgent(tctx(t), a); err != nil {
		t.Fatalf("CreateAgent = %v; want nil", err)
	}
	wa, err := e.svc.WebhookAgent(tctx(t), "ext-later")
	if err != nil || wa.OrgID != e.org.ID || wa.AgentID != a.ID || string(wa.Secret) != e.org.WebhookSecret {
		t.Fatalf("WebhookAgent(created) = %+v, %v; want org %s, agent %s and the org's secret", wa, err, e.org.ID, a.ID)
	}
}
