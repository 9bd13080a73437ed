package inmem

import (
	"context"

	"github.com/echosenseix/echosenseix/server"
)

// CreateDocument stores d, filling ID, times and Status (pending).
func (s *Store) CreateDocument(_ context.Context, d *server.Document) error {
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
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.orgs[d.OrganizationID]; !ok {
		return server.Errorf(server.ENOTFOUND, "organization not found")
	}
	c := *d
	s.docs[d.ID] = &c
	return nil
}

// Document returns the organization's document id, or ENOTFOUND.
func (s *Store) Document(_ context.Context, orgID, id string) (*server.Document, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, ok := s.docs[id]
	if !ok || d.OrganizationID != orgID {
		return nil, server.Errorf(server.ENOTFOUND, "document not found")
	}
	c := *d
	return &c, nil
}

// UpdateDocument writes d's processing fields (Status, JobID, Entry,
// WordCount, Error, UpdatedAt: now when zero).
func (s *Store) UpdateDocument(_ context.Context, d *server.Document) error {
	if d.UpdatedAt.IsZero() {
		d.UpdatedAt = now()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.docs[d.ID]
	if !ok || cur.OrganizationID != d.OrganizationID {
		return server.Errorf(server.ENOTFOUND, "document not found")
	}
	next := *cur
	next.Status, next.JobID, next.Entry, next.WordCount, next.Error, next.UpdatedAt = d.Status, d.JobID, d.Entry, d.WordCount, d.Error, d.UpdatedAt
	s.docs[d.ID] = &next
	return nil
}
