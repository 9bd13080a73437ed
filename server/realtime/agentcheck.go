package realtime

import (
	"context"
	"strings"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// AgentFinder finds one of an organization's agents (server.AgentStore's
// Agent): ENOTFOUND for an unknown id and for another organization's.
type AgentFinder interface {
	Agent(ctx context.Context, orgID, id string) (*server.Agent, error)
}

var _ AgentFinder = server.AgentStore(nil)

// AgentCheckTimeout bounds the store read that checks a sync_request's
// agent.
const AgentCheckTimeout = 5 * time.Second

// Error messages of a refused sync_request.
const (
	msgSyncAgentID    = "sync_request needs data.agentId: an agent id (UUID)"
	msgSyncNoAgent    = "agent not found"
	msgSyncAgentCheck = "cannot check the agent now; retry later"
)

// syncAgent checks a sync_request's agent id before anything is broadcast:
// a UUID naming one of orgID's agents. It answers the id in canonical
// (lower-case) form, or the message of the error frame to send instead. A
// hub without Config.Agents refuses every sync_request.
func (h *Hub) syncAgent(orgID, agentID string) (id, refusal string) {
	if !server.IsUUID(agentID) {
		return "", msgSyncAgentID
	}
	if h.cfg.Agents == nil {
		return "", msgSyncNoAgent
	}
	id = strings.ToLower(agentID)
	ctx, cancel := context.WithTimeout(h.ctx, AgentCheckTimeout)
	defer cancel()
	_, err := h.cfg.Agents.Agent(ctx, orgID, id)
	switch {
	case err == nil:
		return id, ""
	case server.IsNotFound(err):
		return "", msgSyncNoAgent
	default:
		h.log.Warn("cannot check sync_request agent", "org", orgID, "agent", id, "err", err)
		return "", msgSyncAgentCheck
	}
}
