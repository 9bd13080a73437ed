package inmem

import (
	"sync"
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

// Store keeps organizations, users, agents, call logs and documents in
// process memory: the embedded default when no DATABASE_URL is set. Nothing
// survives a restart. It is safe for concurrent use; analytics counters are
// maintained on insert, so Analytics never scans.
type Store struct {
	mu         sync.RWMutex // guards the entity maps below
	orgs       map[string]*server.Organization
	users      map[string]*server.User
	userEmails map[string]string // lower-cased email -> user id
	agents     map[string]*server.Agent
	orgAgents  map[string][]string // org id -> agent ids by creation
	externals  map[string]string   // external agent id -> agent id
	docs       map[string]*server.Document

	logs callLogs // has its own lock
}

// NewStore returns an empty Store.
func NewStore() *Store {
	return &Store{
		orgs:       make(map[string]*server.Organization),
		users:      make(map[string]*server.User),
		userEmails: make(map[string]string),
		agents:     make(map[string]*server.Agent),
		orgAgents:  make(map[string][]string),
		externals:  make(map[string]string),
		docs:       make(map[string]*server.Document),
		logs:       newCallLogs(),
	}
}

// newID returns a time-ordered UUID (v7), as the Postgres store does.
func newID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}

// now is the store's clock, at the microsecond precision Postgres keeps.
func now() time.Time { return time.Now().Truncate(time.Microsecond) }
