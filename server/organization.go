package server

import (
	"context"
	"time"
)

// Organization is a tenant. WebhookSecret signs the voice platform's
// post-call webhooks (ElevenLabs-Signature) for this organization's agents.
type Organization struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	WebhookSecret string    `json:"-"`
	CreatedAt     time.Time `json:"createdAt"`
}

// User belongs to one organization and logs in with email and password.
// PasswordHash is a PHC-format argon2id or bcrypt hash; never serialised.
type User struct {
	ID             string    `json:"id"`
	OrganizationID string    `json:"organizationId"`
	Email          string    `json:"email"`
	Name           string    `json:"name"`
	Role           string    `json:"role"`
	PasswordHash   string    `json:"-"`
	CreatedAt      time.Time `json:"createdAt"`
}

// OrganizationStore persists organizations. Organization answers ENOTFOUND
// for an unknown id.
type OrganizationStore interface {
	CreateOrganization(ctx context.Context, o *Organization) error
	Organization(ctx context.Context, id string) (*Organization, error)
}

// UserStore persists users. Emails are unique (case-insensitive, stored
// lower-cased); a duplicate answers ECONFLICT. Lookups answer ENOTFOUND.
type UserStore interface {
	CreateUser(ctx context.Context, u *User) error
	User(ctx context.Context, id string) (*User, error)
	UserByEmail(ctx context.Context, email string) (*User, error)
}
