package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/common/ut"
	"github.com/cloudwego/hertz/pkg/protocol"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/server"
	usecase "github.com/echosenseix/echosenseix/server/app"
	"github.com/echosenseix/echosenseix/server/httpapi"
	"github.com/echosenseix/echosenseix/server/inmem"
	"github.com/echosenseix/echosenseix/server/internal/auth"
	"github.com/echosenseix/echosenseix/server/internal/groupcommit"
	"github.com/echosenseix/echosenseix/server/postgres"
)

// stores is every store the API needs; each backend provides one value.
type stores interface {
	server.OrganizationStore
	server.UserStore
	server.AgentStore
	server.AgentLookup
	server.CallLogStore
	server.DocumentStore
}

// backend builds a fresh store set for one test.
type backend struct {
	name string
	new  func(tb testing.TB) stores
}

// backends lists the store backends every store-backed test runs against.
var backends = []backend{
	{"inmem", func(testing.TB) stores { return inmem.NewStore() }},
	{"postgres", func(tb testing.TB) stores { return postgres.NewStore(openPostgres(tb)) }},
}

// openPostgres opens and migrates a fresh database for tb.
func openPostgres(tb testing.TB) *postgres.DB {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := postgres.Open(ctx, postgres.Config{URL: stack.Postgres(tb), MaxConns: 8, MinConns: -1})
	if err != nil {
		tb.Fatalf("postgres.Open: %v", err)
	}
	tb.Cleanup(db.Close)
	if err := db.Migrate(ctx); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return db
}

// fakeSessions is a SessionStore with a settable clock.
type fakeSessions struct {
	mu   sync.Mutex
	m    map[string]server.Session
	now  time.Time
	ttl  time.Duration
	gets int
	fail error
	nbf  map[string]time.Time
}

func newFakeSessions() *fakeSessions {
	return &fakeSessions{m: map[string]server.Session{}, now: time.Now(), ttl: time.Hour}
}

func (f *fakeSessions) CreateSession(_ context.Context, s *server.Session) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s.ExpiresAt = f.now.Add(f.ttl)
	f.m[s.ID] = *s
	return nil
}

func (f *fakeSessions) Session(_ context.Context, id string) (*server.Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets++
	if f.fail != nil {
		return nil, f.fail
	}
	s, ok := f.m[id]
	if !ok || !f.now.Before(s.ExpiresAt) {
		return nil, server.Errorf(server.ENOTFOUND, "session not found")
	}
	s.ExpiresAt = f.now.Add(f.ttl)
	f.m[id] = s
	return &s, nil
}

func (f *fakeSessions) DeleteSession(_ context.Context, id string) error {
	f.mu.Lock()
	delete(f.m, id)
	f.mu.Unlock()
	return nil
}

func (f *fakeSessions) EndUserSessions(_ context.Context, user string) (time.Time, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, s := range f.m {
		if s.UserID == user {
			delete(f.m, id)
		}
	}
	if f.nbf == nil {
		f.nbf = map[string]time.Time{}
	}
	at := time.Now()
	f.nbf[user] = at
	return at, nil
}

func (f *fakeSessions) UserNotBefore(_ context.Context, user string) (time.Time, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.nbf[user], nil
}

func (f *fakeSessions) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

// fakeBus records published events.
type fakeBus struct {
	mu     sync.Mutex
	events []server.Event
	fail   error
}

func (b *fakeBus) Publish(_ context.Context, ev server.Event) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil {
		return b.fail
	}
	b.events = append(b.events, ev)
	return nil
}

func (b *fakeBus) Subscribe(func(server.Event)) func() { return func() {} }

func (b *fakeBus) published() []server.Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]server.Event(nil), b.events...)
}

// batcher returns a group-commit writer over the env's store.
func (e *env) batcher(tb testing.TB) *groupcommit.Batcher {
	b := groupcommit.New(e.st, groupcommit.Config{})
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = b.Close(ctx)
	})
	return b
}

// fakePinger fails when err is set.
type fakePinger struct {
	mu  sync.Mutex
	err error
}

func (p *fakePinger) Ping(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (p *fakePinger) set(err error) {
	p.mu.Lock()
	p.err = err
	p.mu.Unlock()
}

// pingCache is a Cache whose Ping can fail.
type pingCache struct {
	*inmem.Cache
	fakePinger
}

func (c *pingCache) Ping(ctx context.Context) error { return c.fakePinger.Ping(ctx) }

// failingQueue answers EUNAVAILABLE to AddJob when down is set.
type failingQueue struct {
	server.Queue
	mu   sync.Mutex
	down bool
}

func (q *failingQueue) AddJob(ctx context.Context, t string, data []byte, o server.JobOptions) (*server.Job, error) {
	q.mu.Lock()
	down := q.down
	q.mu.Unlock()
	if down {
		return nil, server.Errorf(server.EUNAVAILABLE, "queue backend unreachable")
	}
	return q.Queue.AddJob(ctx, t, data, o)
}

func (q *failingQueue) Ping(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.down {
		return errors.New("queue down")
	}
	return nil
}

const testPassword = "correct horse battery"

var testHash = sync.OnceValue(func() string {
	h, err := auth.HashPassword(testPassword)
	if err != nil {
		panic(err)
	}
	return h
})

// tenant is one seeded organization with a user and an agent.
type tenant struct {
	org    *server.Organization
	user   *server.User
	agent  *server.Agent
	cookie string // session cookie header value "sid=..."
}

// env is a server over one backend with fakes for sessions and the bus.
type env struct {
	t        testing.TB
	srv      *httpapi.Server
	st       stores
	cache    *pingCache
	queue    *failingQueue
	sessions *fakeSessions
	bus      *fakeBus
	db       *fakePinger
	reg      *prometheus.Registry
	logs     *bytes.Buffer
	a, b     tenant
}

type envOption func(*httpapiConfig, *httpapiDeps)

func newEnv(tb testing.TB, be backend, opts ...envOption) *env {
	tb.Helper()
	e := &env{t: tb, st: be.new(tb), sessions: newFakeSessions(), bus: &fakeBus{}, db: &fakePinger{},
		reg: prometheus.NewRegistry(), logs: &bytes.Buffer{}}
	e.cache = &pingCache{Cache: inmem.NewCache(inmem.CacheConfig{})}
	q := inmem.NewQueue(inmem.QueueConfig{Concurrency: 2, BackoffBase: 10 * time.Millisecond})
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = q.Close(ctx)
	})
	e.queue = &failingQueue{Queue: q}
	logger := slog.New(slog.NewTextHandler(syncWriter{w: e.logs}, nil))
	cfg := httpapiConfig{Config: httpapi.Config{Version: "test"},
		appConfig: appConfig{SessionCacheTTL: -1, RealtimeTokenSecret: []byte("test-secret")}}
	d := httpapiDeps{
		Deps: httpapi.Deps{Cache: e.cache, Queue: e.queue, DB: e.db, Registry: e.reg, Logger: logger},
		appDeps: appDeps{Orgs: e.st, Users: e.st, Agents: e.st, Lookup: e.st, CallLogs: e.st, Documents: e.st,
			Sessions: e.sessions, Cache: e.cache, Queue: e.queue, Bus: e.bus, Ingester: e.batcher(tb), Logger: logger},
	}
	for _, o := range opts {
		o(&cfg, &d)
	}
	if sc, ok := d.Realtime.(usecase.SocketCloser); ok {
		d.Sockets = sc
	}
	svc, err := usecase.New(cfg.appConfig, d.appDeps)
	if err != nil {
		tb.Fatalf("app.New: %v", err)
	}
	d.App = svc
	srv, err := httpapi.New(cfg.Config, d.Deps)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	e.srv = srv
	e.a = e.seed("a")
	e.b = e.seed("b")
	return e
}

type syncWriter struct{ w io.Writer }

var logMu sync.Mutex

func (s syncWriter) Write(p []byte) (int, error) {
	logMu.Lock()
	defer logMu.Unlock()
	return s.w.Write(p)
}

var seq struct {
	sync.Mutex
	n int
}

func uniq() string {
	seq.Lock()
	defer seq.Unlock()
	seq.n++
	return fmt.Sprintf("%d-%d", time.Now().UnixNano(), seq.n)
}

// seed creates an organization, a user and an agent, and logs the user in.
func (e *env) seed(name string) tenant {
	e.t.Helper()
	ctx := context.Background()
	u := uniq()
	org := &server.Organization{Name: "org " + name, WebhookSecret: "whsec-" + name + u}
	if err := e.st.CreateOrganization(ctx, org); err != nil {
		e.t.Fatalf("CreateOrganization: %v", err)
	}
	user := &server.User{OrganizationID: org.ID, Email: name + u + "@example.com", Name: name, Role: "admin", PasswordHash: testHash()}
	if err := e.st.CreateUser(ctx, user); err != nil {
		e.t.Fatalf("CreateUser: %v", err)
	}
	agent := &server.Agent{OrganizationID: org.ID, Name: "agent " + name, ExternalAgentID: "ext-" + name + u}
	if err := agent.Validate(); err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.CreateAgent(ctx, agent); err != nil {
		e.t.Fatalf("CreateAgent: %v", err)
	}
	tn := tenant{org: org, user: user, agent: agent}
	tn.cookie = e.login(user.Email, testPassword)
	return tn
}

// login logs in and returns the Cookie header value.
func (e *env) login(email, pw string) string {
	e.t.Helper()
	w := e.do("POST", "/api/login", fmt.Sprintf(`{"email":%q,"password":%q}`, email, pw))
	if w.Code != 200 {
		e.t.Fatalf("login %s: status %d body %s", email, w.Code, w.Body.String())
	}
	ck := sessionCookie(e.t, w)
	return "sid=" + string(ck.Value())
}

func sessionCookie(tb testing.TB, w *ut.ResponseRecorder) *protocol.Cookie {
	tb.Helper()
	var ck protocol.Cookie
	ck.SetKey("sid")
	if !w.Header().Cookie(&ck) {
		tb.Fatalf("no sid cookie in response; headers %s", w.Header().Header())
	}
	return &ck
}

// do performs an in-process request; headers are "Key: value" strings.
func (e *env) do(method, url, body string, headers ...string) *ut.ResponseRecorder {
	var hs []ut.Header
	hasCT := false
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		hs = append(hs, ut.Header{Key: k, Value: v})
		hasCT = hasCT || strings.EqualFold(k, "Content-Type")
	}
	var b *ut.Body
	if body != "" {
		b = &ut.Body{Body: strings.NewReader(body), Len: len(body)}
		if !hasCT {
			hs = append(hs, ut.Header{Key: "Content-Type", Value: "application/json"})
		}
	}
	return ut.PerformRequest(e.srv.Engine(), method, url, b, hs...)
}

// as performs a request with tn's session cookie.
func (e *env) as(tn tenant, method, url, body string, headers ...string) *ut.ResponseRecorder {
	return e.do(method, url, body, append(headers, "Cookie: "+tn.cookie)...)
}

// errorCode decodes {"error":{"code"}} and fails when the body is not the
// error shape.
func errorCode(tb testing.TB, w *ut.ResponseRecorder) string {
	tb.Helper()
	var v struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil || v.Error.Code == "" || v.Error.Message == "" {
		tb.Fatalf("body %q is not an error JSON (%v)", w.Body.String(), err)
	}
	return v.Error.Code
}

// wantError checks status and the error JSON shape.
func wantError(tb testing.TB, w *ut.ResponseRecorder, status int) {
	tb.Helper()
	if w.Code != status {
		tb.Fatalf("status = %d; want %d (body %s)", w.Code, status, w.Body.String())
	}
	errorCode(tb, w)
	if ct := string(w.Header().ContentType()); !strings.HasPrefix(ct, "application/json") {
		tb.Errorf("content-type = %q; want application/json", ct)
	}
}

func decode[T any](tb testing.TB, w *ut.ResponseRecorder) T {
	tb.Helper()
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		tb.Fatalf("cannot decode %q: %v", w.Body.String(), err)
	}
	return v
}

// eventually polls cond until it holds or 5 s pass.
func eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// What newEnv builds a server from: the HTTP layer's own settings and
// dependencies beside the use cases' (package app), so an option can set
// either; newEnv builds the app.Service and hands it to httpapi.New.
type (
	appConfig     = usecase.Config
	appDeps       = usecase.Deps
	httpapiConfig struct {
		httpapi.Config
		appConfig
	}
	httpapiDeps struct {
		httpapi.Deps
		appDeps
	}
)

type app_RequestContext = app.RequestContext

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
