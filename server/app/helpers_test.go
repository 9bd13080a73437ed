package app_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/app"
	"github.com/echosenseix/echosenseix/server/inmem"
	"github.com/echosenseix/echosenseix/server/internal/groupcommit"
	"github.com/echosenseix/echosenseix/server/realtime"
	"github.com/echosenseix/echosenseix/server/storetest"
)

// The implementations the server wires in (cmd/echosenseix) satisfy the
// interfaces defined here.
var (
	_ app.Ingester     = (*groupcommit.Batcher)(nil)
	_ app.SocketCloser = (*realtime.Hub)(nil)
)

// recordingCache is a memory cache that records every key deleted.
type recordingCache struct {
	*inmem.Cache
	mu      sync.Mutex
	deleted []string
}

var _ server.Cache = (*recordingCache)(nil)

func (c *recordingCache) Delete(ctx context.Context, keys ...string) error {
	c.mu.Lock()
	c.deleted = append(c.deleted, keys...)
	c.mu.Unlock()
	return c.Cache.Delete(ctx, keys...)
}

// take answers the keys deleted since the last take, sorted.
func (c *recordingCache) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	keys := c.deleted
	c.deleted = nil
	slices.Sort(keys)
	return keys
}

// recordingBus records published events.
type recordingBus struct {
	mu     sync.Mutex
	events []server.Event
}

var _ server.Bus = (*recordingBus)(nil)

func (b *recordingBus) Publish(_ context.Context, ev server.Event) error {
	b.mu.Lock()
	b.events = append(b.events, ev)
	b.mu.Unlock()
	return nil
}

func (b *recordingBus) Subscribe(func(server.Event)) func() { return func() {} }

func (b *recordingBus) published() []server.Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.events)
}

// env is a Service over memory stores, a real group-commit batcher, a
// recording cache and bus.
type env struct {
	svc   *app.Service
	st    *inmem.Store
	cache *recordingCache
	bus   *recordingBus
	org   *server.Organization
	agent *server.Agent
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{st: inmem.NewStore(), cache: &recordingCache{Cache: inmem.NewCache(inmem.CacheConfig{})}, bus: &recordingBus{}}
	b := groupcommit.New(e.st, groupcommit.Config{})
	q := inmem.NewQueue(inmem.QueueConfig{Concurrency: 1})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = b.Close(ctx)
		_ = q.Close(ctx)
	})
	svc, err := app.New(app.Config{}, app.Deps{Orgs: e.st, Users: e.st, Agents: e.st, Lookup: e.st, CallLogs: e.st,
		Documents: e.st, Sessions: inmem.NewSessionStore(time.Hour), Cache: e.cache, Queue: q, Bus: e.bus, Ingester: b})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e.svc = svc
	stores := storetest.Stores{Orgs: e.st, Users: e.st, Agents: e.st, Lookup: e.st, CallLogs: e.st, Documents: e.st}
	e.org = storetest.MustOrganization(t, stores, "Acme")
	e.agent = storetest.MustAgent(t, stores, e.org.ID, "Ava")
	return e
}

func tctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
