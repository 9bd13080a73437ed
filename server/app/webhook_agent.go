package app

import (
	"bytes"
	"context"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// WebhookAgent is what a post-call webhook needs of an agent: its
// organization, its id and the organization's signing secret.
type WebhookAgent struct {
	OrgID, AgentID string
	Secret         []byte
}

// ErrUnknownAgent is never sent: the HTTP adapter answers it exactly like a
// bad signature, so agent ids cannot be enumerated.
var ErrUnknownAgent = server.Errorf(server.ENOTFOUND, "unknown agent")

// negativeAgent is the cached value of an external id no agent has.
var negativeAgent = []byte("-")

// WebhookAgent finds the organization, agent and secret of an external agent
// id. The shared cache maps the id to "orgID\nagentID" (no secret: see
// secretCache) for CacheTTL, or to negativeAgent for WebhookNegativeTTL, so
// a flood of one unknown id costs one store read per TTL, not one per
// request; creating, updating or deleting an agent drops its key on every
// instance (keys.go). An unknown id, or an organization without a secret,
// answers ErrUnknownAgent.
func (s *Service) WebhookAgent(ctx context.Context, extID string) (WebhookAgent, error) {
	if len(extID) > server.MaxAgentShortText {
		return WebhookAgent{}, ErrUnknownAgent
	}
	b, err := s.rt.GetTTL(ctx, WebhookAgentKey(extID), func(ctx context.Context) ([]byte, time.Duration, error) {
		sctx, cancel := s.storeCtx(ctx)
		defer cancel()
		a, err := s.d.Lookup.AgentByExternalID(sctx, extID)
		switch {
		case server.IsNotFound(err) && s.cfg.WebhookNegativeTTL > 0:
			return negativeAgent, s.cfg.WebhookNegativeTTL, nil
		case err != nil:
			return nil, 0, err
		}
		return []byte(a.OrganizationID + "\n" + a.ID), s.cfg.CacheTTL, nil
	})
	switch {
	case server.IsNotFound(err), err == nil && bytes.Equal(b, negativeAgent):
		return WebhookAgent{}, ErrUnknownAgent
	case err != nil:
		return WebhookAgent{}, err
	}
	org, agent, ok := bytes.Cut(b, []byte{'\n'})
	wa := WebhookAgent{OrgID: string(org), AgentID: string(agent)}
	if !ok || !server.IsUUID(wa.OrgID) || !server.IsUUID(wa.AgentID) {
		return WebhookAgent{}, server.Errorf(server.EINTERNAL, "bad cached webhook agent for %q", extID)
	}
	return s.withSecret(ctx, wa)
}

// withSecret adds the organization's secret, from process memory first.
func (s *Service) withSecret(ctx context.Context, wa WebhookAgent) (WebhookAgent, error) {
	secret, ok := s.secrets.lookup(wa.OrgID)
	if !ok {
		var err error
		if secret, err = s.secrets.fill(wa.OrgID, s.loadSecret(ctx, wa.OrgID)); err != nil {
			if server.IsNotFound(err) {
				err = ErrUnknownAgent
			}
			return WebhookAgent{}, err
		}
	}
	if len(secret) == 0 {
		return WebhookAgent{}, ErrUnknownAgent
	}
	wa.Secret = secret
	return wa, nil
}
