package app

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/bytedance/sonic"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/internal/auth"
	"github.com/echosenseix/echosenseix/server/internal/readthrough"
)

// Defaults of Config fields left zero.
const (
	DefaultStoreTimeout       = 5 * time.Second
	DefaultCacheTTL           = server.DefaultCacheTTL // CACHE_TTL's one default
	DefaultAnalyticsTTL       = 5 * time.Second
	DefaultCallLogsTTL        = time.Second
	DefaultSessionCacheTTL    = time.Second
	DefaultRealtimeTokenTTL   = 60 * time.Second
	DefaultWebhookNegativeTTL = 5 * time.Second // a flood of one unknown id is one store read per few seconds
)

// Config holds the use cases' settings. Zero fields take the Default*
// values; a nil LoginThrottle counts in memory with server.LoginLimits'
// defaults; an empty RealtimeTokenSecret is random (one process only).
type Config struct {
	StoreTimeout        time.Duration        // bound on each store or queue call
	CacheTTL            time.Duration        // agent and user reads, webhook agent mapping, webhook secrets
	AnalyticsTTL        time.Duration        // analytics and the default first call-log page
	CallLogsTTL         time.Duration        // other first call-log pages, per process; negative disables
	SessionCacheTTL     time.Duration        // per-instance memo of sid -> identity; negative disables
	RealtimeTokenSecret []byte               // HMAC key of realtime tokens
	RealtimeTokenTTL    time.Duration        // lifetime of a realtime token
	WebhookNegativeTTL  time.Duration        // unknown external agent ids cached this long; negative disables
	LoginThrottle       server.LoginThrottle // attempts per account and per address
}

// Ingester stores one call log durably (group commit) before answering.
type Ingester interface {
	Ingest(ctx context.Context, l *server.CallLog) (server.IngestResult, error)
}

// SocketCloser closes a user's realtime sockets on this instance (the
// realtime hub); session "" closes all of them.
type SocketCloser interface {
	CloseUser(orgID, userID, session string) int
}

// Deps are the stores and services the use cases run on. Sockets may be nil.
type Deps struct {
	Orgs      server.OrganizationStore
	Users     server.UserStore
	Agents    server.AgentStore
	Lookup    server.AgentLookup
	CallLogs  server.CallLogStore
	Documents server.DocumentStore
	Sessions  server.SessionStore
	Cache     server.Cache
	Queue     server.Queue
	Bus       server.Bus
	Ingester  Ingester
	Sockets   SocketCloser
	Logger    *slog.Logger // nil: slog.Default()
}

// Service runs the use cases.
type Service struct {
	cfg     Config
	d       Deps
	log     *slog.Logger
	rt      *readthrough.Group
	tokens  *auth.TokenSigner
	idents  *identityCache
	pages   *callLogPages
	secrets *secretCache

	publishFailures atomic.Uint64
}

// jsonAPI encodes the cached bytes exactly as the HTTP adapter encodes
// responses (sonic, no HTML escaping).
var jsonAPI = sonic.ConfigDefault

// New builds the Service and registers the process-document job handler on
// d.Queue.
func New(cfg Config, d Deps) (*Service, error) {
	if err := d.validate(); err != nil {
		return nil, err
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	cfg.setDefaults()
	s := &Service{
		cfg: cfg, d: d, log: d.Logger,
		rt:      readthrough.New(d.Cache),
		tokens:  auth.NewTokenSigner(cfg.RealtimeTokenSecret),
		idents:  newIdentityCache(cfg.SessionCacheTTL),
		pages:   newCallLogPages(cfg.CallLogsTTL),
		secrets: newSecretCache(cfg.CacheTTL),
	}
	RegisterJobs(d.Queue, d.Documents, s.log)
	return s, nil
}

func (c *Config) setDefaults() {
	for _, f := range []struct {
		d *time.Duration
		v time.Duration
	}{
		{&c.StoreTimeout, DefaultStoreTimeout}, {&c.CacheTTL, DefaultCacheTTL}, {&c.AnalyticsTTL, DefaultAnalyticsTTL},
		{&c.CallLogsTTL, DefaultCallLogsTTL}, {&c.SessionCacheTTL, DefaultSessionCacheTTL},
		{&c.RealtimeTokenTTL, DefaultRealtimeTokenTTL}, {&c.WebhookNegativeTTL, DefaultWebhookNegativeTTL},
	} {
		if *f.d == 0 {
			*f.d = f.v
		}
	}
	if len(c.RealtimeTokenSecret) == 0 {
		c.RealtimeTokenSecret = randomBytes(32)
	}
	if c.LoginThrottle == nil {
		c.LoginThrottle = auth.NewMemoryThrottle(server.LoginLimits{}, 0)
	}
}

func (d *Deps) validate() error {
	for _, f := range []struct {
		name string
		nil  bool
	}{
		{"Orgs", d.Orgs == nil}, {"Users", d.Users == nil}, {"Agents", d.Agents == nil},
		{"Lookup", d.Lookup == nil}, {"CallLogs", d.CallLogs == nil}, {"Documents", d.Documents == nil},
		{"Sessions", d.Sessions == nil}, {"Cache", d.Cache == nil}, {"Queue", d.Queue == nil},
		{"Bus", d.Bus == nil}, {"Ingester", d.Ingester == nil},
	} {
		if f.nil {
			return fmt.Errorf("cannot create use cases: Deps.%s is nil", f.name)
		}
	}
	return nil
}

// PublishFailures answers how many call_completed events could not be
// published since New.
func (s *Service) PublishFailures() uint64 { return s.publishFailures.Load() }

// storeCtx bounds one store call.
func (s *Service) storeCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.cfg.StoreTimeout)
}

// drop drops the keys op makes stale (keys.go); a cache failure is logged,
// not returned (the TTL bounds staleness).
func (s *Service) drop(ctx context.Context, op Op, t Target) {
	keys := op.Keys(t)
	if err := s.rt.Invalidate(ctx, keys...); err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "cannot invalidate cache", slog.Any("keys", keys), slog.Any("err", err))
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("BUG: crypto/rand failed: " + err.Error())
	}
	return b
}
