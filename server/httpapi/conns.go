package httpapi

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/network"
	hznetpoll "github.com/cloudwego/hertz/pkg/network/netpoll"
	"github.com/cloudwego/netpoll"

	"github.com/echosenseix/echosenseix/server/internal/fasttime"
)

// connTracker knows which connections sit idle between keep-alive requests,
// so Shutdown can close them at once: hertz otherwise waits for each idle
// connection's IdleTimeout (or the whole grace period). A connection is busy
// from the first bytes of a request (tracer Start) until its response is
// flushed (tracer Finish). Hijacked (WebSocket) connections stay busy: the
// realtime hub closes them itself (1012).
type connTracker struct {
	mu    sync.Mutex
	conns map[*connState]struct{}

	maxConns int         // past it a connection is refused (slowclients.go); 0 = no bound
	limits   *connLimits // refusal and deadline counters
}

type connState struct {
	conn   network.Conn
	busy   atomic.Bool
	idleAt atomic.Int64 // unix ns: accepted, or last response flushed
	// headAt (unix ns, coarse) is when the request whose head is being read
	// started: accepted, or its first bytes arrived; 0 once the route runs.
	// The header deadline counts from it (slowclients.go).
	headAt  atomic.Int64
	refused bool // opened past maxConns: its first request answers 503 (set before use)
}

// idleGrace is how long a connection must have been idle before Shutdown
// closes it. A keep-alive client may have sent its next request just before
// the close (closing a socket with unread bytes resets it, and the client
// sees "connection reset" for a request it already sent): a client that is
// about to send has just received a response, or has just connected (with
// TCP_DEFER_ACCEPT, because its first request arrived). Busy clients are
// closed by hertz instead: during shutdown every response says
// "Connection: close".
const idleGrace = 250 * time.Millisecond

type connStateKey struct{}

func newConnTracker(maxConns int, limits *connLimits) *connTracker {
	return &connTracker{conns: make(map[*connState]struct{}), maxConns: maxConns, limits: limits}
}

// onConnect registers a new connection (hertz WithOnConnect).
func (t *connTracker) onConnect(ctx context.Context, c network.Conn) context.Context {
	st := &connState{conn: c}
	now := time.Now().UnixNano()
	st.idleAt.Store(now)
	st.headAt.Store(now)
	t.mu.Lock()
	st.refused = t.maxConns > 0 && len(t.conns) >= t.maxConns
	t.conns[st] = struct{}{}
	t.mu.Unlock()
	if hc, ok := c.(*hznetpoll.Conn); ok {
		if cc, ok := hc.Conn.(interface {
			AddCloseCallback(netpoll.CloseCallback) error
		}); ok {
			_ = cc.AddCloseCallback(func(netpoll.Connection) error {
				t.mu.Lock()
				delete(t.conns, st)
				t.mu.Unlock()
				return nil
			})
		}
	}
	return context.WithValue(ctx, connStateKey{}, st)
}

// Start implements hertz's tracer.Tracer: the connection is busy.
func (t *connTracker) Start(ctx context.Context, _ *app.RequestContext) context.Context {
	if st, ok := ctx.Value(connStateKey{}).(*connState); ok {
		st.busy.Store(true)
		if st.headAt.Load() == 0 {
			st.headAt.Store(fasttime.UnixNano())
		}
	}
	return ctx
}

// Finish implements hertz's tracer.Tracer: the response is flushed.
func (t *connTracker) Finish(ctx context.Context, _ *app.RequestContext) {
	if st, ok := ctx.Value(connStateKey{}).(*connState); ok {
		st.idleAt.Store(time.Now().UnixNano())
		st.headAt.Store(0)
		st.busy.Store(false)
	}
}

// closeIdle closes every idle connection and answers how many are open.
func (t *connTracker) closeIdle() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	for st := range t.conns {
		if st.idle() {
			_ = st.conn.Close()
			delete(t.conns, st)
		}
	}
	return len(t.conns)
}

// idle reports whether closing the connection loses nothing: no request in
// progress, none buffered unread, and quiet for idleGrace.
func (st *connState) idle() bool {
	if st.busy.Load() || time.Now().UnixNano()-st.idleAt.Load() < int64(idleGrace) {
		return false
	}
	if hc, ok := st.conn.(*hznetpoll.Conn); ok {
		if nc, ok := hc.Conn.(netpoll.Connection); ok && nc.Reader().Len() > 0 {
			return false
		}
	}
	return true
}
