package postgres

import (
	"context"
	"errors"
	"strings"

	"github.com/echosenseix/echosenseix/server"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// CreateOrganization stores o, filling ID and CreatedAt when empty.
func (s *Store) CreateOrganization(ctx context.Context, o *server.Organization) error {
	if o.ID == "" {
		o.ID = newID()
	}
	if o.CreatedAt.IsZero() {
		o.CreatedAt = now()
	}
	defer s.db.wrote(o.ID)
	return s.db.withConn(ctx, "create organization", func(c *pgxpool.Conn) error {
		_, err := c.Exec(ctx, `INSERT INTO organizations (id, name, webhook_secret, created_at) VALUES ($1, $2, $3, $4)`,
			o.ID, o.Name, o.WebhookSecret, o.CreatedAt)
		return err
	})
}

// Organization returns the organization id, or ENOTFOUND.
func (s *Store) Organization(ctx context.Context, id string) (*server.Organization, error) {
	if !server.IsUUID(id) {
		return nil, notFound("organization")
	}
	var o server.Organization
	err := s.db.withRead(ctx, id, "get organization", true, func(c *pgxpool.Conn) error {
		return c.QueryRow(ctx, `SELECT id::text, name, webhook_secret, created_at FROM organizations WHERE id = $1`, id).
			Scan(&o.ID, &o.Name, &o.WebhookSecret, &o.CreatedAt)
	})
	if server.IsNotFound(err) {
		return nil, notFound("organization")
	}
	return &o, err
}

// CreateUser stores u with its email lower-cased, filling ID and CreatedAt;
// a taken email answers ECONFLICT, an unknown organization ENOTFOUND.
func (s *Store) CreateUser(ctx context.Context, u *server.User) error {
	u.Email = strings.ToLower(u.Email)
	if !server.IsUUID(u.OrganizationID) {
		return notFound("organization")
	}
	if u.ID == "" {
		u.ID = newID()
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = now()
	}
	err := s.db.withConn(ctx, "create user", func(c *pgxpool.Conn) error {
		_, err := c.Exec(ctx, `INSERT INTO users (id, organization_id, email, name, role, password_hash, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, u.ID, u.OrganizationID, u.Email, u.Name, u.Role, u.PasswordHash, u.CreatedAt)
		return err
	})
	switch constraintOf(err) {
	case "users_email_key":
		return server.WrapError(server.ECONFLICT, "email is already registered", err)
	case "users_organization_id_fkey":
		return server.WrapError(server.ENOTFOUND, "organization not found", err)
	}
	return err
}

// constraintOf returns the name of the constraint a Postgres error violated.
func constraintOf(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.ConstraintName
	}
	return ""
}

const userColumns = `id::text, organization_id::text, email, name, role, password_hash, created_at`

func scanUser(row pgx.Row) (*server.User, error) {
	var u server.User
	err := row.Scan(&u.ID, &u.OrganizationID, &u.Email, &u.Name, &u.Role, &u.PasswordHash, &u.CreatedAt)
	return &u, err
}

// User returns the user id, or ENOTFOUND.
func (s *Store) User(ctx context.Context, id string) (*server.User, error) {
	if !server.IsUUID(id) {
		return nil, notFound("user")
	}
	return s.user(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id)
}

// UserByEmail returns the user with email (case-insensitive), or ENOTFOUND.
func (s *Store) UserByEmail(ctx context.Context, email string) (*server.User, error) {
	return s.user(ctx, `SELECT `+userColumns+` FROM users WHERE lower(email) = lower($1)`, email)
}

func (s *Store) user(ctx context.Context, sql string, arg string) (*server.User, error) {
	var u *server.User
	err := s.db.withConn(ctx, "get user", func(c *pgxpool.Conn) (err error) {
		u, err = scanUser(c.QueryRow(ctx, sql, arg))
		return err
	})
	if server.IsNotFound(err) {
		return nil, notFound("user")
	}
	if err != nil {
		return nil, err
	}
	return u, nil
}
