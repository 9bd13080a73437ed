package postgres

import (
	"time"

	"github.com/echosenseix/echosenseix/server"
	"github.com/google/uuid"
)

// Compile-time guards: Store is every store the server needs.
var (
	_ server.OrganizationStore = (*Store)(nil)
	_ server.UserStore         = (*Store)(nil)
	_ server.AgentStore        = (*Store)(nil)
	_ server.AgentLookup       = (*Store)(nil)
	_ server.CallLogStore      = (*Store)(nil)
	_ server.DocumentStore     = (*Store)(nil)
)

// Store implements every store interface of package server on the pool.
// Every method acquires a connection within the pool's AcquireTimeout or
// answers EUNAVAILABLE.
type Store struct {
	db *DB
}

// Store returns the stores on db.
func (db *DB) Store() *Store { return &Store{db: db} }

// NewStore is db.Store().
func NewStore(db *DB) *Store { return db.Store() }

// newID returns a time-ordered UUID (v7): new rows land at the right edge
// of the primary-key index instead of at random pages.
func newID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}

// now is the clock at the microsecond precision Postgres keeps.
func now() time.Time { return time.Now().Truncate(time.Microsecond) }

func notFound(what string) error { return server.Errorf(server.ENOTFOUND, "%s not found", what) }
