package inmem

import (
	"context"
	"slices"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// CreateAgent validates and stores a, filling ID, CreatedAt and UpdatedAt.
func (s *Store) CreateAgent(_ context.Context, a *server.Agent) error {
	if err := a.Validate(); err != nil {
		return err
	}
	if a.ID == "" {
		a.ID = newID()
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = now()
	}
	if a.UpdatedAt.IsZero() {
		a.UpdatedAt = a.CreatedAt
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.orgs[a.OrganizationID]; !ok {
		return server.Errorf(server.ENOTFOUND, "organization not found")
	}
	if _, ok := s.agents[a.ID]; ok {
		return server.Errorf(server.ECONFLICT, "agent %s already exists", a.ID)
	}
	if err := s.claimExternalLocked(a.ExternalAgentID, a.ID); err != nil {
		return err
	}
	s.agents[a.ID] = cloneAgent(a)
	s.orgAgents[a.OrganizationID] = append(s.orgAgents[a.OrganizationID], a.ID)
	return nil
}

func (s *Store) claimExternalLocked(ext, id string) error {
	if ext == "" {
		return nil
	}
	if owner, ok := s.externals[ext]; ok && owner != id {
		return server.Errorf(server.ECONFLICT, "externalAgentId is already used by another agent")
	}
	s.externals[ext] = id
	return nil
}

func cloneAgent(a *server.Agent) *server.Agent {
	c := *a
	c.Settings = slices.Clone(a.Settings)
	return &c
}

func (s *Store) agentLocked(orgID, id string) (*server.Agent, error) {
	a, ok := s.agents[id]
	if !ok || a.OrganizationID != orgID {
		return nil, server.Errorf(server.ENOTFOUND, "agent not found")
	}
	return a, nil
}

// Agent returns the agent id of organization orgID, or ENOTFOUND.
func (s *Store) Agent(_ context.Context, orgID, id string) (*server.Agent, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, err := s.agentLocked(orgID, id)
	if err != nil {
		return nil, err
	}
	return cloneAgent(a), nil
}

// Agents lists the organization's agents by creation, oldest first.
func (s *Store) Agents(_ context.Context, orgID string) ([]*server.Agent, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := s.orgAgents[orgID]
	list := make([]*server.Agent, 0, len(ids))
	for _, id := range ids {
		list = append(list, cloneAgent(s.agents[id]))
	}
	return list, nil
}

// UpdateAgent applies p to the agent, validates the result and stores it.
func (s *Store) UpdateAgent(_ context.Context, orgID, id string, p *server.AgentPatch) (*server.Agent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, err := s.agentLocked(orgID, id)
	if err != nil {
		return nil, err
	}
	next := cloneAgent(cur)
	p.Apply(next)
	next.Settings = slices.Clone(next.Settings) // the patch's bytes stay the caller's
	if err := next.Validate(); err != nil {
		return nil, err
	}
	if next.ExternalAgentID != cur.ExternalAgentID {
		if err := s.claimExternalLocked(next.ExternalAgentID, id); err != nil {
			return nil, err
		}
		if cur.ExternalAgentID != "" {
			delete(s.externals, cur.ExternalAgentID)
		}
	}
	next.UpdatedAt = now()
	if !next.UpdatedAt.After(cur.UpdatedAt) {
		next.UpdatedAt = cur.UpdatedAt.Add(time.Microsecond)
	}
	s.agents[id] = next
	return cloneAgent(next), nil
}

// DeleteAgent removes the agent; its call logs and counters stay.
func (s *Store) DeleteAgent(_ context.Context, orgID, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.agentLocked(orgID, id)
	if err != nil {
		return err
	}
	delete(s.agents, id)
	if a.ExternalAgentID != "" {
		delete(s.externals, a.ExternalAgentID)
	}
	s.orgAgents[orgID] = slices.DeleteFunc(s.orgAgents[orgID], func(x string) bool { return x == id })
	return nil
}

// AgentByExternalID finds an agent of any organization by its provider id.
func (s *Store) AgentByExternalID(_ context.Context, externalID string) (*server.Agent, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.externals[externalID]
	if !ok || externalID == "" {
		return nil, server.Errorf(server.ENOTFOUND, "agent not found")
	}
	return cloneAgent(s.agents[id]), nil
}

// activeAgents counts the organization's active agents (or whether agentID
// is one of them).
func (s *Store) activeAgents(orgID, agentID string) int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if agentID != "" {
		if a, err := s.agentLocked(orgID, agentID); err == nil && a.IsActive {
			return 1
		}
		return 0
	}
	var n int64
	for _, id := range s.orgAgents[orgID] {
		if s.agents[id].IsActive {
			n++
		}
	}
	return n
}
