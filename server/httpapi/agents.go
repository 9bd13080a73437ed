package httpapi

import (
	"context"
	"encoding/json"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/echosenseix/echosenseix/server"
)

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
	b, err := s.app.Agent(ctx, id.OrgID, c.Param("id"))
	s.writeBytes(ctx, c, b, err)
}

// handleAgents: GET /api/agents, the organization's agents, cached.
func (s *Server) handleAgents(ctx context.Context, c *app.RequestContext, id identity) {
	b, err := s.app.Agents(ctx, id.OrgID)
	s.writeBytes(ctx, c, b, err)
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
	if err := s.app.CreateAgent(ctx, a); err != nil {
		s.writeError(ctx, c, err)
		return
	}
	s.writeJSON(ctx, c, 201, a)
}

// handleUpdateAgent: PATCH /api/agents/:id -> agent.
func (s *Server) handleUpdateAgent(ctx context.Context, c *app.RequestContext, id identity) {
	var p server.AgentPatch
	if err := decodeJSON(c.Request.Body(), &p, true, s.cfg.MaxJSONDepth); err != nil {
		s.writeError(ctx, c, err)
		return
	}
	a, err := s.app.UpdateAgent(ctx, id.OrgID, c.Param("id"), &p)
	if err != nil {
		s.writeError(ctx, c, err)
		return
	}
	s.writeJSON(ctx, c, 200, a)
}

// handleDeleteAgent: DELETE /api/agents/:id -> 204.
func (s *Server) handleDeleteAgent(ctx context.Context, c *app.RequestContext, id identity) {
	if err := s.app.DeleteAgent(ctx, id.OrgID, c.Param("id")); err != nil {
		s.writeError(ctx, c, err)
		return
	}
	c.SetStatusCode(204)
}

// writeBytes answers pre-encoded JSON b with 200, or err.
func (s *Server) writeBytes(ctx context.Context, c *app.RequestContext, b []byte, err error) {
	if err != nil {
		s.writeError(ctx, c, err)
		return
	}
	writeJSONBytes(c, 200, b)
}
