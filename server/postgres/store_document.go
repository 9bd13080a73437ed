package postgres

import (
	"context"

	"github.com/echosenseix/echosenseix/server"
	"github.com/jackc/pgx/v5/pgxpool"
)

// CreateDocument stores d, filling ID, times and Status (pending).
func (s *Store) CreateDocument(ctx context.Context, d *server.Document) error {
	if !server.IsUUID(d.OrganizationID) {
		return notFound("organization")
	}
	if d.ID == "" {
		d.ID = newID()
	}
	if d.Status == "" {
		d.Status = server.DocumentPending
	}
	if d.CreatedAt.IsZero() {
		d.CreatedAt = now()
	}
	if d.UpdatedAt.IsZero() {
		d.UpdatedAt = d.CreatedAt
	}
	err := s.db.withConn(ctx, "create document", func(c *pgxpool.Conn) error {
		_, err := c.Exec(ctx, `INSERT INTO documents (id, organization_id, title, content, status, job_id, entry,
			word_count, error, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			d.ID, d.OrganizationID, d.Title, d.Content, d.Status, d.JobID, d.Entry, d.WordCount, d.Error, d.CreatedAt, d.UpdatedAt)
		return err
	})
	if constraintOf(err) == "documents_organization_id_fkey" {
		return server.WrapError(server.ENOTFOUND, "organization not found", err)
	}
	return err
}

// Document returns the organization's document id, or ENOTFOUND.
func (s *Store) Document(ctx context.Context, orgID, id string) (*server.Document, error) {
	if !server.IsUUID(orgID) || !server.IsUUID(id) {
		return nil, notFound("document")
	}
	var d server.Document
	err := s.db.withConn(ctx, "get document", func(c *pgxpool.Conn) error {
		return c.QueryRow(ctx, `SELECT id::text, organization_id::text, title, content, status, job_id, entry, word_count,
			error, created_at, updated_at FROM documents WHERE organization_id = $1 AND id = $2`, orgID, id).
			Scan(&d.ID, &d.OrganizationID, &d.Title, &d.Content, &d.Status, &d.JobID, &d.Entry, &d.WordCount,
				&d.Error, &d.CreatedAt, &d.UpdatedAt)
	})
	if server.IsNotFound(err) {
		return nil, notFound("document")
	}
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// UpdateDocument writes d's processing fields (Status, JobID, Entry,
// WordCount, Error, UpdatedAt: now when zero).
func (s *Store) UpdateDocument(ctx context.Context, d *server.Document) error {
	if !server.IsUUID(d.OrganizationID) || !server.IsUUID(d.ID) {
		return notFound("document")
	}
	if d.UpdatedAt.IsZero() {
		d.UpdatedAt = now()
	}
	var n int64
	err := s.db.withConn(ctx, "update document", func(c *pgxpool.Conn) error {
		tag, err := c.Exec(ctx, `UPDATE documents SET status = $3, job_id = $4, entry = $5, word_count = $6, error = $7,
			updated_at = $8 WHERE organization_id = $1 AND id = $2`,
			d.OrganizationID, d.ID, d.Status, d.JobID, d.Entry, d.WordCount, d.Error, d.UpdatedAt)
		n = tag.RowsAffected()
		return err
	})
	if err == nil && n == 0 {
		return notFound("document")
	}
	return err
}
