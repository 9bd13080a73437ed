package app

import (
	"context"

	"github.com/echosenseix/echosenseix/server"
)

// ErrAgentNotFound answers an agent id that is not the caller's (or not a
// UUID).
var ErrAgentNotFound = server.Errorf(server.ENOTFOUND, "agent not found")

// Agent answers the JSON of org's agent id, through the cache.
func (s *Service) Agent(ctx context.Context, org, id string) ([]byte, error) {
	if !server.IsUUID(id) {
		return nil, ErrAgentNotFound
	}
	return s.rt.Get(ctx, AgentKey(org, id), s.cfg.CacheTTL, func(ctx context.Context) ([]byte, error) {
		sctx, cancel := s.storeCtx(ctx)
		defer cancel()
		a, err := s.d.Agents.Agent(sctx, org, id)
		if err != nil {
			return nil, err
		}
		return jsonAPI.Marshal(a)
	})
}

// Agents answers the JSON array of org's agents, through the cache.
func (s *Service) Agents(ctx context.Context, org string) ([]byte, error) {
	return s.rt.Get(ctx, AgentsKey(org), s.cfg.CacheTTL, func(ctx context.Context) ([]byte, error) {
		sctx, cancel := s.storeCtx(ctx)
		defer cancel()
		list, err := s.d.Agents.Agents(sctx, org)
		if err != nil {
			return nil, err
		}
		if list == nil {
			list = []*server.Agent{}
		}
		return jsonAPI.Marshal(list)
	})
}

// CreateAgent validates and stores a (its OrganizationID set by the
// caller), then drops the keys OpCreateAgent names.
func (s *Service) CreateAgent(ctx context.Context, a *server.Agent) error {
	if err := a.Validate(); err != nil {
		return err
	}
	sctx, cancel := s.storeCtx(ctx)
	defer cancel()
	if err := s.d.Agents.CreateAgent(sctx, a); err != nil {
		return err
	}
	s.drop(ctx, OpCreateAgent, Target{Org: a.OrganizationID, Agent: a.ID, ExtID: a.ExternalAgentID})
	return nil
}

// UpdateAgent applies p to org's agent id when the result is valid, then
// drops the keys OpUpdateAgent names.
func (s *Service) UpdateAgent(ctx context.Context, org, id string, p *server.AgentPatch) (*server.Agent, error) {
	if !server.IsUUID(id) {
		return nil, ErrAgentNotFound
	}
	sctx, cancel := s.storeCtx(ctx)
	defer cancel()
	cur, err := s.d.Agents.Agent(sctx, org, id)
	if err != nil {
		return nil, err
	}
	next := *cur
	p.Apply(&next)
	if err := next.Validate(); err != nil {
		return nil, err
	}
	a, err := s.d.Agents.UpdateAgent(sctx, org, id, p)
	if err != nil {
		return nil, err
	}
	s.drop(ctx, OpUpdateAgent, Target{Org: org, Agent: id, PrevExtID: cur.ExternalAgentID, ExtID: a.ExternalAgentID})
	return a, nil
}

// DeleteAgent deletes org's agent id, then drops the keys OpDeleteAgent
// names.
func (s *Service) DeleteAgent(ctx context.Context, org, id string) error {
	if !server.IsUUID(id) {
		return ErrAgentNotFound
	}
	sctx, cancel := s.storeCtx(ctx)
	defer cancel()
	cur, err := s.d.Agents.Agent(sctx, org, id)
	if err == nil {
		err = s.d.Agents.DeleteAgent(sctx, org, id)
	}
	if err != nil {
		return err
	}
	s.drop(ctx, OpDeleteAgent, Target{Org: org, Agent: id, ExtID: cur.ExternalAgentID})
	return nil
}
