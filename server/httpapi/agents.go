package httpapi

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/echosenseix/echosenseix/server"
)

// Cache keys of agent reads: the serialised JSON response bytes.
func agentKey(org, id string) string  { return "agent:" + org + ":" + id }
func agentsKey(org string) string     { return "agents:" + org }
func extAgentKey(extID string) string { return "webhookagent:" + extID } // "orgID\nagentID", never the secret

var errAgentNotFound = server.Errorf(server.ENOTFOUND, "agent not found")

// agentInput is the body of POST /api/agents.
type agentInput struct {
	Platform        string          `json:"platform"`
	ExternalAgentID string          `json:"externalAgentId"`
	Name            string          `json:"name"`
	Description     string          `json:"description"`
	FirstMessage    string          `json:"firstMessage"`
	SystemPrompt    string          `json:"systemPrompt"`
	Language        string          `json:"language"`
	VoiceID         string          `json:"voiceId"`
	Settings        json.RawMessage `json:"settings"`
	IsActive        *bool           `json:"isActive"`
}

// handleAgent: GET /api/agents/:id, cached bytes written as they are.
func (s *Server) handleAgent(ctx context.Context, c *app.RequestContext, id identity) {
	agentID := c.Param("id")
	if !server.IsUUID(agentID) {
		s.writeError(ctx, c, errAgentNotFound)
		return
	}
	b, err := s.rt.Get(ctx, agentKey(id.OrgID, agentID), s.cfg.CacheTTL, func(ctx context.Context) ([]byte, error) {
		sctx, cancel := context.WithTimeout(ctx, s.cfg.StoreTimeout)
		defer cancel()
		a, err := s.d.Agents.Agent(sctx, id.OrgID, agentID)
		if err != nil {
			return nil, err
		}
		return jsonAPI.Marshal(a)
	})
	if err != nil {
		s.writeError(ctx, c, err)
		return
	}
	writeJSONBytes(c, 200, b)
}

// handleAgents: GET /api/agents, the organization's agents, cached.
func (s *Server) handleAgents(ctx context.Context, c *app.RequestContext, id identity) {
	b, err := s.rt.Get(ctx, agentsKey(id.OrgID), s.cfg.CacheTTL, func(ctx context.Context) ([]byte, error) {
		sctx, cancel := context.WithTimeout(ctx, s.cfg.StoreTimeout)
		defer cancel()
		list, err := s.d.Agents.Agents(sctx, id.OrgID)
		if err != nil {
			return nil, err
		}
		if list == nil {
			list = []*server.Agent{}
		}
		return jsonAPI.Marshal(list)
	})
	if err != nil {
		s.writeError(ctx, c, err)
		return
	}
	writeJSONBytes(c, 200, b)
}

// handleCreateAgent: POST /api/agents -> 201 agent.
func (s *Server) handleCreateAgent(ctx context.Context, c *app.RequestContext, id identity) {
	var in agentInput
	if err := decodeJSON(c.Request.Body(), &in, true, s.cfg.MaxJSONDepth); err != nil {
		s.writeError(ctx, c, err)
		return
	}
	a := &server.Agent{OrganizationID: id.OrgID, Platform: in.Platform, ExternalAgentID: in.ExternalAgentID,
		Name: in.Name, Description: in.Description, FirstMessage: in.FirstMessage, SystemPrompt: in.SystemPrompt,
		Language: in.Language, VoiceID: in.VoiceID, Settings: in.Settings, IsActive: in.IsActive == nil || *in.IsActive}
	if err := a.Validate(); err != nil {
		s.writeError(ctx, c, err)
		return
	}
	sctx, cancel := context.WithTimeout(ctx, s.cfg.StoreTimeout)
	defer cancel()
	if err := s.d.Agents.CreateAgent(sctx, a); err != nil {
		s.writeError(ctx, c, err)
		return
	}
	s.invalidate(ctx, agentsKey(id.OrgID), agentKey(id.OrgID, a.ID), extAgentKey(a.ExternalAgentID), analyticsKey(id.OrgID, ""))
	s.writeJSON(ctx, c, 201, a)
}

// handleUpdateAgent: PATCH /api/agents/:id -> agent.
func (s *Server) handleUpdateAgent(ctx context.Context, c *app.RequestContext, id identity) {
	agentID := c.Param("id")
	var p server.AgentPatch
	if err := decodeJSON(c.Request.Body(), &p, true, s.cfg.MaxJSONDepth); err != nil {
		s.writeError(ctx, c, err)
		return
	}
	if !server.IsUUID(agentID) {
		s.writeError(ctx, c, errAgentNotFound)
		return
	}
	sctx, cancel := context.WithTimeout(ctx, s.cfg.StoreTimeout)
	defer cancel()
	cur, err := s.d.Agents.Agent(sctx, id.OrgID, agentID)
	if err != nil {
		s.writeError(ctx, c, err)
		return
	}
	next := *cur
	p.Apply(&next)
	if err := next.Validate(); err != nil {
		s.writeError(ctx, c, err)
		return
	}
	a, err := s.d.Agents.UpdateAgent(sctx, id.OrgID, agentID, &p)
	if err != nil {
		s.writeError(ctx, c, err)
		return
	}
	s.invalidate(ctx, agentsKey(id.OrgID), agentKey(id.OrgID, agentID), extAgentKey(cur.ExternalAgentID),
		extAgentKey(a.ExternalAgentID), analyticsKey(id.OrgID, ""), analyticsKey(id.OrgID, agentID))
	s.writeJSON(ctx, c, 200, a)
}

// handleDeleteAgent: DELETE /api/agents/:id -> 204.
func (s *Server) handleDeleteAgent(ctx context.Context, c *app.RequestContext, id identity) {
	agentID := c.Param("id")
	if !server.IsUUID(agentID) {
		s.writeError(ctx, c, errAgentNotFound)
		return
	}
	sctx, cancel := context.WithTimeout(ctx, s.cfg.StoreTimeout)
	defer cancel()
	cur, err := s.d.Agents.Agent(sctx, id.OrgID, agentID)
	if err == nil {
		err = s.d.Agents.DeleteAgent(sctx, id.OrgID, agentID)
	}
	if err != nil {
		s.writeError(ctx, c, err)
		return
	}
	s.invalidate(ctx, agentsKey(id.OrgID), agentKey(id.OrgID, agentID), extAgentKey(cur.ExternalAgentID),
		analyticsKey(id.OrgID, ""), analyticsKey(id.OrgID, agentID))
	c.SetStatusCode(204)
}

// invalidate drops cache keys after a write; a cache failure is logged, not
// returned (the TTL bounds staleness).
func (s *Server) invalidate(ctx context.Context, keys ...string) {
	if err := s.rt.Invalidate(ctx, keys...); err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "cannot invalidate cache", slog.Any("keys", keys), slog.Any("err", err))
	}
}
