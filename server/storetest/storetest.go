// Package storetest is the contract every store implementation passes: the
// memory stores (server/inmem) and the Postgres stores (server/postgres) run
// Run against fresh stores. The doc comments of the store interfaces in
// package server are the contract; these tests make them executable.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// Stores is one backend's set of stores, all sharing the same data.
type Stores struct {
	Orgs      server.OrganizationStore
	Users     server.UserStore
	Agents    server.AgentStore
	Lookup    server.AgentLookup
	CallLogs  server.CallLogStore
	Documents server.DocumentStore
}

// Run runs the whole contract. newStores must return empty stores, fresh for
// each call (each subtest calls it once).
func Run(t *testing.T, newStores func(t testing.TB) Stores) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s Stores)
	}{
		{"Organizations", testOrganizations},
		{"Users", testUsers},
		{"UserEmailUnique", testUserEmailUnique},
		{"Agents", testAgents},
		{"AgentPatch", testAgentPatch},
		{"AgentExternalIDUnique", testAgentExternalIDUnique},
		{"AgentTenantIsolation", testAgentTenantIsolation},
		{"InsertCallLogs", testInsertCallLogs},
		{"InsertCallLogsIdempotent", testInsertCallLogsIdempotent},
		{"InsertCallLogsConcurrent", testInsertCallLogsConcurrent},
		{"InsertCallLogsInvalid", testInsertCallLogsInvalid},
		{"CallLogTenantIsolation", testCallLogTenantIsolation},
		{"CallLogsPagination", testCallLogsPagination},
		{"CallLogsPageAlias", testCallLogsPageAlias},
		{"CallLogsLimits", testCallLogsLimits},
		{"CallLogsAgentFilter", testCallLogsAgentFilter},
		{"CallLogsKeysetUnderInserts", testCallLogsKeysetUnderInserts},
		{"Analytics", testAnalytics},
		{"Documents", testDocuments},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newStores(t))
		})
	}
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func suffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// missingID is a well-formed id that no store ever generates.
const missingID = "00000000-0000-4000-8000-000000000000"

// MustOrganization creates an organization named name.
func MustOrganization(t testing.TB, s Stores, name string) *server.Organization {
	t.Helper()
	o := &server.Organization{Name: name, WebhookSecret: "whsec_" + suffix()}
	if err := s.Orgs.CreateOrganization(ctx(t), o); err != nil {
		t.Fatalf("CreateOrganization(%q) = %v; want nil", name, err)
	}
	return o
}

// MustAgent creates an active agent in org with a unique external id.
func MustAgent(t testing.TB, s Stores, orgID, name string) *server.Agent {
	t.Helper()
	a := &server.Agent{OrganizationID: orgID, Name: name, ExternalAgentID: "ext_" + suffix(), IsActive: true}
	if err := s.Agents.CreateAgent(ctx(t), a); err != nil {
		t.Fatalf("CreateAgent(%q) = %v; want nil", name, err)
	}
	return a
}

func wantCode(t testing.TB, what string, err error, code string) {
	t.Helper()
	if got := server.ErrorCode(err); got != code {
		t.Errorf("%s: error %v has code %q; want %q", what, err, got, code)
	}
}

// jsonEqual compares two JSON documents semantically (jsonb normalises).
func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func testOrganizations(t *testing.T, s Stores) {
	o := MustOrganization(t, s, "Acme")
	if o.ID == "" || o.CreatedAt.IsZero() {
		t.Fatalf("CreateOrganization left ID %q, CreatedAt %v; want both set", o.ID, o.CreatedAt)
	}
	got, err := s.Orgs.Organization(ctx(t), o.ID)
	if err != nil {
		t.Fatalf("Organization() = %v; want nil", err)
	}
	if got.ID != o.ID || got.Name != "Acme" || got.WebhookSecret != o.WebhookSecret || !got.CreatedAt.Equal(o.CreatedAt) {
		t.Errorf("Organization() = %+v; want %+v", got, o)
	}
	for _, id := range []string{missingID, "not-a-uuid", ""} {
		_, err := s.Orgs.Organization(ctx(t), id)
		wantCode(t, "Organization("+id+")", err, server.ENOTFOUND)
	}
}

func testUsers(t *testing.T, s Stores) {
	o := MustOrganization(t, s, "Acme")
	u := &server.User{OrganizationID: o.ID, Email: "Ann.Smith@Example.COM", Name: "Ann", Role: "admin", PasswordHash: "$argon2id$x"}
	if err := s.Users.CreateUser(ctx(t), u); err != nil {
		t.Fatalf("CreateUser() = %v; want nil", err)
	}
	if u.ID == "" || u.CreatedAt.IsZero() {
		t.Fatalf("CreateUser left ID %q, CreatedAt %v; want both set", u.ID, u.CreatedAt)
	}
	if u.Email != "ann.smith@example.com" {
		t.Errorf("stored email %q; want lower-cased", u.Email)
	}
	got, err := s.Users.User(ctx(t), u.ID)
	if err != nil {
		t.Fatalf("User() = %v; want nil", err)
	}
	want := *u
	if got.ID != want.ID || got.OrganizationID != o.ID || got.Email != want.Email || got.Name != "Ann" ||
		got.Role != "admin" || got.PasswordHash != "$argon2id$x" || !got.CreatedAt.Equal(want.CreatedAt) {
		t.Errorf("User() = %+v; want %+v", got, want)
	}
	for _, email := range []string{"ann.smith@example.com", "ANN.SMITH@EXAMPLE.COM"} {
		got, err := s.Users.UserByEmail(ctx(t), email)
		if err != nil || got.ID != u.ID {
			t.Errorf("UserByEmail(%q) = %v, %v; want user %s", email, got, err, u.ID)
		}
	}
	_, err = s.Users.UserByEmail(ctx(t), "nobody@example.com")
	wantCode(t, "UserByEmail(unknown)", err, server.ENOTFOUND)
	for _, id := range []string{missingID, "x"} {
		_, err = s.Users.User(ctx(t), id)
		wantCode(t, "User("+id+")", err, server.ENOTFOUND)
	}
	err = s.Users.CreateUser(ctx(t), &server.User{OrganizationID: missingID, Email: "x@example.com", Name: "X", Role: "user", PasswordHash: "h"})
	wantCode(t, "CreateUser(unknown org)", err, server.ENOTFOUND)
}

func testUserEmailUnique(t *testing.T, s Stores) {
	o1 := MustOrganization(t, s, "One")
	o2 := MustOrganization(t, s, "Two")
	if err := s.Users.CreateUser(ctx(t), &server.User{OrganizationID: o1.ID, Email: "bob@example.com", Name: "Bob", Role: "user", PasswordHash: "h"}); err != nil {
		t.Fatalf("CreateUser() = %v; want nil", err)
	}
	for _, tt := range []struct{ org, email string }{{o1.ID, "bob@example.com"}, {o1.ID, "BOB@example.com"}, {o2.ID, "Bob@Example.com"}} {
		err := s.Users.CreateUser(ctx(t), &server.User{OrganizationID: tt.org, Email: tt.email, Name: "B", Role: "user", PasswordHash: "h"})
		wantCode(t, "CreateUser(duplicate "+tt.email+")", err, server.ECONFLICT)
	}
}
