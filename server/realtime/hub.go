package realtime

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudwego/netpoll"
	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/internal/origin"
	"github.com/echosenseix/echosenseix/server/internal/tracing"
)

// Syncer runs one agent synchronization for an organization, reporting
// progress (0..100) as it goes. cmd injects the real one.
type Syncer func(ctx context.Context, orgID, agentID string, progress func(percent int)) error

// Hub holds this process's WebSocket connections, grouped by organization,
// and fans every bus event out to its organization's connections.
type Hub struct {
	cfg     Config
	origins *origin.Policy
	bus     server.Bus
	syncer  Syncer
	log     *slog.Logger
	metrics *metrics
	start   time.Time // monotonic base of conn.lastSeen

	mu    sync.RWMutex
	orgs  map[string]*org
	loops []netpoll.EventLoop // dedicated listeners (Serve)

	count    atomic.Int64
	nextSlot atomic.Uint32 // round robin of conn.slot
	gone     chan struct{} // signalled when a connection leaves (Shutdown waits)
	closing  atomic.Bool
	work     chan *conn // connections with frames or a ping to write
	done     chan struct{}
	ctx      context.Context // cancelled by Shutdown; parent of syncs
	cancel   context.CancelFunc
	unsub    func()
	wg       sync.WaitGroup
	stop     sync.Once

	syncMu  sync.Mutex
	syncing map[string]bool // organization id → a sync runs
}

// NewHub starts a hub: it subscribes to bus once, starts the writer pool
// and the heartbeat. A nil sync uses a built-in one that reports progress
// 0..100 in steps and succeeds; a nil logger discards.
func NewHub(cfg Config, bus server.Bus, sync Syncer, logger *slog.Logger) *Hub {
	if sync == nil {
		sync = DefaultSyncer
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &Hub{
		cfg: cfg.withDefaults(), bus: bus, syncer: sync, log: logger, metrics: newMetrics(),
		start: time.Now(), orgs: make(map[string]*org), gone: make(chan struct{}, 1),
		done: make(chan struct{}), ctx: ctx, cancel: cancel, syncing: make(map[string]bool),
	}
	origins, err := origin.New(h.cfg.AllowedOrigins)
	if err != nil {
		logger.Error("cannot use the WebSocket origin allow-list: same-host origins only", "err", err)
		origins, _ = origin.New(nil)
	}
	h.origins = origins
	h.work = make(chan *conn, 4096)
	for range h.cfg.Writers {
		h.wg.Add(1)
		go h.writer()
	}
	h.wg.Add(1)
	go h.heartbeat()
	if bus != nil {
		h.unsub = bus.Subscribe(h.onEvent)
	}
	return h
}

// Count returns the number of open connections on this hub.
func (h *Hub) Count() int { return int(h.count.Load()) }

// now returns monotonic nanoseconds since the hub started.
func (h *Hub) now() int64 { return int64(time.Since(h.start)) }

// onEvent runs on the bus's delivery goroutine: it encodes the event once,
// appends the frame to its organization's ring and wakes the organization's
// fan-out goroutine. It never blocks on a connection.
func (h *Hub) onEvent(ev server.Event) {
	if ev.OrganizationID == "" {
		return
	}
	if ev.Type == server.EventSessionsEnded {
		h.onSessionsEnded(ev)
		return
	}
	h.mu.RLock()
	o := h.orgs[ev.OrganizationID]
	h.mu.RUnlock()
	if o == nil {
		return // nobody of that organization is connected here
	}
	if tracing.Enabled() {
		span := startFanout(ev, o)
		defer span.End()
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		h.log.Error("cannot encode event", "type", ev.Type, "err", err)
		return
	}
	recv := time.Now()
	t := ev.Timestamp
	if t.IsZero() || t.After(recv) || recv.Sub(t) > time.Minute {
		t = recv
	}
	o.push(frame{b: textFrame(payload), t: t})
}

// join adds c to its organization, creating the organization (and its
// fan-out goroutine) on first use. It answers false, and adds nothing, once
// Shutdown has begun: closing is published under h.mu, so a join either
// added its goroutine to h.wg before Shutdown waits on it or sees closing.
func (h *Hub) join(c *conn, orgID string) bool {
	c.slot = uint8(h.nextSlot.Add(1) % heartbeatSlices)
	h.mu.Lock()
	if h.closing.Load() {
		h.mu.Unlock()
		return false
	}
	o := h.orgs[orgID]
	if o == nil {
		o = newOrg(h, orgID)
		h.orgs[orgID] = o
		h.wg.Add(1)
		go o.run()
	}
	o.add(c)
	h.mu.Unlock()
	h.count.Add(1)
	h.metrics.open.Inc()
	return true
}

// leave removes c from its organization, retiring an emptied one.
func (h *Hub) leave(c *conn) {
	o := c.org
	h.mu.Lock()
	if o.remove(c) == 0 {
		delete(h.orgs, o.id)
		close(o.quit)
	}
	h.mu.Unlock()
	h.count.Add(-1)
	h.metrics.open.Dec()
	select {
	case h.gone <- struct{}{}:
	default:
	}
}

// schedule hands c to the writer pool unless it is already queued or being
// written. It blocks while the pool's queue is full.
func (h *Hub) schedule(c *conn) {
	if !c.scheduled.CompareAndSwap(false, true) {
		return
	}
	select {
	case h.work <- c:
	case <-h.done:
	}
}

// writer is one goroutine of the writer pool.
func (h *Hub) writer() {
	defer h.wg.Done()
	for {
		select {
		case c := <-h.work:
			c.flush()
		case <-h.done:
			return
		}
	}
}

// snapshot returns every open connection.
func (h *Hub) snapshot(dst []*conn) []*conn {
	dst = dst[:0]
	h.mu.RLock()
	for _, o := range h.orgs {
		o.mu.Lock()
		dst = append(dst, o.conns...)
		o.mu.Unlock()
	}
	h.mu.RUnlock()
	return dst
}
