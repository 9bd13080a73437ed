package postgres

import (
	"context"
	"time"

	"github.com/echosenseix/echosenseix/server"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

const agentColumns = `id::text, organization_id::text, platform, external_agent_id, name, description, first_message,
	system_prompt, language, voice_id, settings, is_active, created_at, updated_at`

func scanAgent(row pgx.Row) (*server.Agent, error) {
	var a server.Agent
	var settings []byte
	err := row.Scan(&a.ID, &a.OrganizationID, &a.Platform, &a.ExternalAgentID, &a.Name, &a.Description, &a.FirstMessage,
		&a.SystemPrompt, &a.Language, &a.VoiceID, &settings, &a.IsActive, &a.CreatedAt, &a.UpdatedAt)
	a.Settings = settings
	return &a, err
}

// agentError maps constraint violations of agent writes.
func agentError(err error) error {
	switch constraintOf(err) {
	case "agents_external_agent_id_key":
		return server.WrapError(server.ECONFLICT, "externalAgentId is already used by another agent", err)
	case "agents_organization_id_fkey":
		return server.WrapError(server.ENOTFOUND, "organization not found", err)
	}
	return err
}

// CreateAgent validates and stores a, filling ID, CreatedAt and UpdatedAt.
func (s *Store) CreateAgent(ctx context.Context, a *server.Agent) error {
	if err := a.Validate(); err != nil {
		return err
	}
	if !server.IsUUID(a.OrganizationID) {
		return notFound("organization")
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
	defer s.db.wrote(a.OrganizationID)
	return agentError(s.db.withConn(ctx, "create agent", func(c *pgxpool.Conn) error {
		_, err := c.Exec(ctx, `INSERT INTO agents (id, organization_id, platform, external_agent_id, name, description,
			first_message, system_prompt, language, voice_id, settings, is_active, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13, $14)`,
			a.ID, a.OrganizationID, a.Platform, a.ExternalAgentID, a.Name, a.Description, a.FirstMessage,
			a.SystemPrompt, a.Language, a.VoiceID, string(a.Settings), a.IsActive, a.CreatedAt, a.UpdatedAt)
		return err
	}))
}

// Agent returns the agent id of organization orgID, or ENOTFOUND.
func (s *Store) Agent(ctx context.Context, orgID, id string) (*server.Agent, error) {
	if !server.IsUUID(orgID) || !server.IsUUID(id) {
		return nil, notFound("agent")
	}
	return s.agent(ctx, orgID, `SELECT `+agentColumns+` FROM agents WHERE organization_id = $1 AND id = $2`, orgID, id)
}

// AgentByExternalID finds an agent of any organization by its provider id.
func (s *Store) AgentByExternalID(ctx context.Context, externalID string) (*server.Agent, error) {
	if externalID == "" {
		return nil, notFound("agent")
	}
	return s.agent(ctx, "", `SELECT `+agentColumns+` FROM agents WHERE external_agent_id = $1 AND external_agent_id <> ''`, externalID)
}

// agent is a lookup (on a replica when one serves org; "" = any).
func (s *Store) agent(ctx context.Context, org, sql string, args ...any) (*server.Agent, error) {
	var a *server.Agent
	err := s.db.withRead(ctx, org, "get agent", true, func(c *pgxpool.Conn) (err error) {
		a, err = scanAgent(c.QueryRow(ctx, sql, args...))
		return err
	})
	if server.IsNotFound(err) {
		return nil, notFound("agent")
	}
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Agents lists the organization's agents by creation, oldest first.
func (s *Store) Agents(ctx context.Context, orgID string) ([]*server.Agent, error) {
	list := []*server.Agent{}
	if !server.IsUUID(orgID) {
		return list, nil
	}
	err := s.db.withRead(ctx, orgID, "list agents", false, func(c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, `SELECT `+agentColumns+` FROM agents WHERE organization_id = $1 ORDER BY agents.created_at, agents.id`, orgID)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*server.Agent, error) { return scanAgent(r) })
		return err
	})
	return list, err
}

// UpdateAgent applies p to the agent under a row lock, validates the result
// and stores it.
func (s *Store) UpdateAgent(ctx context.Context, orgID, id string, p *server.AgentPatch) (*server.Agent, error) {
	if !server.IsUUID(orgID) || !server.IsUUID(id) {
		return nil, notFound("agent")
	}
	var next *server.Agent
	defer s.db.wrote(orgID)
	err := s.db.withConn(ctx, "update agent", func(c *pgxpool.Conn) error {
		return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
			cur, err := scanAgent(tx.QueryRow(ctx, `SELECT `+agentColumns+` FROM agents WHERE organization_id = $1 AND id = $2 FOR UPDATE`, orgID, id))
			if err != nil {
				return err
			}
			next = cur
			prev := cur.UpdatedAt
			p.Apply(next)
			if err := next.Validate(); err != nil {
				return err
			}
			next.UpdatedAt = now()
			if !next.UpdatedAt.After(prev) {
				next.UpdatedAt = prev.Add(time.Microsecond)
			}
			_, err = tx.Exec(ctx, `UPDATE agents SET platform = $3, external_agent_id = $4, name = $5, description = $6,
				first_message = $7, system_prompt = $8, language = $9, voice_id = $10, settings = $11::jsonb,
				is_active = $12, updated_at = $13 WHERE organization_id = $1 AND id = $2`,
				orgID, id, next.Platform, next.ExternalAgentID, next.Name, next.Description, next.FirstMessage,
				next.SystemPrompt, next.Language, next.VoiceID, string(next.Settings), next.IsActive, next.UpdatedAt)
			return err
		})
	})
	if server.IsNotFound(err) {
		return nil, notFound("agent")
	}
	if err != nil {
		return nil, agentError(err)
	}
	return next, nil
}

// DeleteAgent removes the agent; its call logs and counters stay.
func (s *Store) DeleteAgent(ctx context.Context, orgID, id string) error {
	if !server.IsUUID(orgID) || !server.IsUUID(id) {
		return notFound("agent")
	}
	var n int64
	defer s.db.wrote(orgID)
	err := s.db.withConn(ctx, "delete agent", func(c *pgxpool.Conn) error {
		tag, err := c.Exec(ctx, `DELETE FROM agents WHERE organization_id = $1 AND id = $2`, orgID, id)
		n = tag.RowsAffected()
		return err
	})
	if err == nil && n == 0 {
		return notFound("agent")
	}
	return err
}
