package httpapi

import (
	"bytes"
	"context"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// webhookAgent is what the webhook needs of an agent: its organization, its
// id and the organization's signing secret.
type webhookAgent struct {
	orgID, agentID string
	secret         []byte
}

// errUnknownAgent is never sent: the handler answers it exactly like a bad
// signature, so agent ids cannot be enumerated.
var errUnknownAgent = server.Errorf(server.ENOTFOUND, "unknown agent")

// negativeAgent is the cached value of an external id no agent has.
var negativeAgent = []byte("-")

// webhookAgent finds the organization, agent and secret of an external agent
// id. The shared cache maps the id to "orgID\nagentID" (no secret: see
// secretCache) for CacheTTL, or to negativeAgent for WebhookNegativeTTL, so
// a flood of one unknown id costs one store read per TTL, not one per
// request; creating or updating an agent drops its key on every instance.
// An unknown id, or an organization without a secret, answers
// errUnknownAgent.
func (s *Server) webhookAgent(ctx context.Context, extID string) (webhookAgent, error) {
	if len(extID) > server.MaxAgentShortText {
		return webhookAgent{}, errUnknownAgent
	}
	b, err := s.rt.GetTTL(ctx, extAgentKey(extID), func(ctx context.Context) ([]byte, time.Duration, error) {
		sctx, cancel := context.WithTimeout(ctx, s.cfg.StoreTimeout)
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
		return webhookAgent{}, errUnknownAgent
	case err != nil:
		return webhookAgent{}, err
	}
	org, agent, ok := bytes.Cut(b, []byte{'\n'})
	wa := webhookAgent{orgID: string(org), agentID: string(agent)}
	if !ok || !server.IsUUID(wa.orgID) || !server.IsUUID(wa.agentID) {
		return webhookAgent{}, server.Errorf(server.EINTERNAL, "bad cached webhook agent for %q", extID)
	}
	secret, ok := s.secrets.lookup(wa.orgID)
	if !ok {
		if secret, err = s.secrets.fill(wa.orgID, s.loadSecret(ctx, wa.orgID)); err != nil {
			if server.IsNotFound(err) {
				err = errUnknownAgent
			}
			return webhookAgent{}, err
		}
	}
	if len(secret) == 0 {
		return webhookAgent{}, errUnknownAgent
	}
	wa.secret = secret
	return wa, nil
}
