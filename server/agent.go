package server

import (
	"context"
	"encoding/json"
	"time"
)

// Agent is a voice agent configured on a provider. ExternalAgentID is the
// provider's id for it (ElevenLabs' agent_id), unique across the platform so
// a webhook finds its organization through it.
type Agent struct {
	ID              string          `json:"id"`
	OrganizationID  string          `json:"organizationId"`
	Platform        string          `json:"platform"`
	ExternalAgentID string          `json:"externalAgentId"`
	Name            string          `json:"name"`
	Description     string          `json:"description"`
	FirstMessage    string          `json:"firstMessage"`
	SystemPrompt    string          `json:"systemPrompt"`
	Language        string          `json:"language"`
	VoiceID         string          `json:"voiceId"`
	Settings        json.RawMessage `json:"settings"`
	IsActive        bool            `json:"isActive"`
	CreatedAt       time.Time       `json:"createdAt"`
	UpdatedAt       time.Time       `json:"updatedAt"`
}

// Agent defaults applied by Validate when fields are empty.
const (
	DefaultAgentPlatform = "elevenlabs"
	DefaultAgentLanguage = "en"
)

// AgentPatch is a partial update: nil fields are left alone.
type AgentPatch struct {
	Platform        *string          `json:"platform"`
	ExternalAgentID *string          `json:"externalAgentId"`
	Name            *string          `json:"name"`
	Description     *string          `json:"description"`
	FirstMessage    *string          `json:"firstMessage"`
	SystemPrompt    *string          `json:"systemPrompt"`
	Language        *string          `json:"language"`
	VoiceID         *string          `json:"voiceId"`
	Settings        *json.RawMessage `json:"settings"`
	IsActive        *bool            `json:"isActive"`
}

// Apply copies the set fields of p onto a.
func (p *AgentPatch) Apply(a *Agent) {
	setString(&a.Platform, p.Platform)
	setString(&a.ExternalAgentID, p.ExternalAgentID)
	setString(&a.Name, p.Name)
	setString(&a.Description, p.Description)
	setString(&a.FirstMessage, p.FirstMessage)
	setString(&a.SystemPrompt, p.SystemPrompt)
	setString(&a.Language, p.Language)
	setString(&a.VoiceID, p.VoiceID)
	if p.Settings != nil {
		a.Settings = *p.Settings
	}
	if p.IsActive != nil {
		a.IsActive = *p.IsActive
	}
}

func setString(dst *string, src *string) {
	if src != nil {
		*dst = *src
	}
}

// Limits on agent fields, checked by Validate.
const (
	MaxAgentNameLen   = 200
	MaxAgentTextLen   = 20_000 // description, first message, system prompt
	MaxAgentSettings  = 64 << 10
	MaxAgentShortText = 200 // platform, external id, language, voice id
)

// Validate applies defaults and checks a's fields; it answers EINVALID naming
// the first bad field. Text must be UTF-8 without NUL and settings JSON
// without \u0000, so every store accepts an agent that passed Validate.
func (a *Agent) Validate() error {
	if a.Platform == "" {
		a.Platform = DefaultAgentPlatform
	}
	if a.Language == "" {
		a.Language = DefaultAgentLanguage
	}
	if len(a.Settings) == 0 || string(a.Settings) == "null" {
		a.Settings = json.RawMessage("{}")
	}
	switch {
	case a.Name == "":
		return Errorf(EINVALID, "name is required")
	case len(a.Name) > MaxAgentNameLen:
		return Errorf(EINVALID, "name is longer than %d bytes", MaxAgentNameLen)
	case len(a.Description) > MaxAgentTextLen, len(a.FirstMessage) > MaxAgentTextLen, len(a.SystemPrompt) > MaxAgentTextLen:
		return Errorf(EINVALID, "description, firstMessage and systemPrompt are limited to %d bytes", MaxAgentTextLen)
	case len(a.Platform) > MaxAgentShortText, len(a.ExternalAgentID) > MaxAgentShortText,
		len(a.Language) > MaxAgentShortText, len(a.VoiceID) > MaxAgentShortText:
		return Errorf(EINVALID, "platform, externalAgentId, language and voiceId are limited to %d bytes", MaxAgentShortText)
	case len(a.Settings) > MaxAgentSettings:
		return Errorf(EINVALID, "settings is larger than %d bytes", MaxAgentSettings)
	case !json.Valid(a.Settings) || a.Settings[0] != '{':
		return Errorf(EINVALID, "settings must be a JSON object")
	case !StorableJSON(a.Settings):
		return Errorf(EINVALID, "settings must be UTF-8 JSON without NUL characters (\\u0000) or unpaired surrogate escapes")
	}
	return checkText(textField{"name", a.Name}, textField{"description", a.Description},
		textField{"firstMessage", a.FirstMessage}, textField{"systemPrompt", a.SystemPrompt},
		textField{"platform", a.Platform}, textField{"externalAgentId", a.ExternalAgentID},
		textField{"language", a.Language}, textField{"voiceId", a.VoiceID})
}

// AgentStore persists agents, always scoped by organization: an agent of
// another organization answers ENOTFOUND exactly like a missing one.
// CreateAgent fills ID, CreatedAt and UpdatedAt when empty; a duplicate
// ExternalAgentID (when non-empty) answers ECONFLICT. Agents lists by
// created_at ascending.
type AgentStore interface {
	CreateAgent(ctx context.Context, a *Agent) error
	Agent(ctx context.Context, orgID, id string) (*Agent, error)
	Agents(ctx context.Context, orgID string) ([]*Agent, error)
	UpdateAgent(ctx context.Context, orgID, id string, p *AgentPatch) (*Agent, error)
	DeleteAgent(ctx context.Context, orgID, id string) error
}

// AgentLookup finds an agent by its provider id across organizations (the
// webhook path). Unknown ids answer ENOTFOUND.
type AgentLookup interface {
	AgentByExternalID(ctx context.Context, externalID string) (*Agent, error)
}
