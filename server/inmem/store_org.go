package inmem

import (
	"context"
	"strings"

	"github.com/echosenseix/echosenseix/server"
)

// CreateOrganization stores o, filling ID and CreatedAt when empty.
func (s *Store) CreateOrganization(_ context.Context, o *server.Organization) error {
	if o.ID == "" {
		o.ID = newID()
	}
	if o.CreatedAt.IsZero() {
		o.CreatedAt = now()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.orgs[o.ID]; ok {
		return server.Errorf(server.ECONFLICT, "organization %s already exists", o.ID)
	}
	c := *o
	s.orgs[o.ID] = &c
	return nil
}

// Organization returns the organization id, or ENOTFOUND.
func (s *Store) Organization(_ context.Context, id string) (*server.Organization, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, ok := s.orgs[id]
	if !ok {
		return nil, server.Errorf(server.ENOTFOUND, "organization not found")
	}
	c := *o
	return &c, nil
}

// CreateUser stores u with its email lower-cased, filling ID and CreatedAt;
// a taken email answers ECONFLICT, an unknown organization ENOTFOUND.
func (s *Store) CreateUser(_ context.Context, u *server.User) error {
	u.Email = strings.ToLower(u.Email)
	if u.ID == "" {
		u.ID = newID()
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = now()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.orgs[u.OrganizationID]; !ok {
		return server.Errorf(server.ENOTFOUND, "organization not found")
	}
	if _, ok := s.userEmails[u.Email]; ok {
		return server.Errorf(server.ECONFLICT, "email is already registered")
	}
	c := *u
	s.users[u.ID] = &c
	s.userEmails[u.Email] = u.ID
	return nil
}

// User returns the user id, or ENOTFOUND.
func (s *Store) User(_ context.Context, id string) (*server.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.userLocked(id)
}

// UserByEmail returns the user with email (case-insensitive), or ENOTFOUND.
func (s *Store) UserByEmail(_ context.Context, email string) (*server.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.userLocked(s.userEmails[strings.ToLower(email)])
}

func (s *Store) userLocked(id string) (*server.User, error) {
	u, ok := s.users[id]
	if !ok {
		return nil, server.Errorf(server.ENOTFOUND, "user not found")
	}
	c := *u
	return &c, nil
}
