package realtime

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cloudwego/hertz/pkg/network"
	"github.com/cloudwego/netpoll"
	"github.com/gobwas/ws"
)

// Authenticator resolves the identity of an upgrade request on the
// dedicated listener (the session cookie or the signed token; never the
// organization from the query) and the tag of the session it belongs to
// (empty: none). An error answers 401 before the upgrade.
type Authenticator func(ctx context.Context, r *http.Request) (orgID, userID, session string, err error)

// Limits of the dedicated listener's handshake.
const (
	maxHandshakeBytes = 8 << 10
	handshakeTimeout  = 10 * time.Second
)

// epState is one connection of the dedicated listener.
type epState struct {
	c     atomic.Pointer[conn] // set once upgraded
	timer *time.Timer          // closes a connection that never upgrades
}

type epStateKey struct{}

// Serve serves WebSockets on ln from netpoll's event loop: a dedicated
// listener (its own port, any path) for the 100k tier. Unlike the hijack
// path, an idle connection there has no goroutine and no hertz request
// context, only netpoll's buffers and the hub's small conn: goroutines run
// only while bytes arrive. auth authenticates each upgrade request. Serve
// blocks until Shutdown (nil) or a listener error.
func (h *Hub) Serve(ln net.Listener, auth Authenticator) error {
	if auth == nil {
		return errors.New("cannot serve websockets: nil Authenticator")
	}
	el, err := netpoll.NewEventLoop(
		func(ctx context.Context, nc netpoll.Connection) error { return h.onData(ctx, nc, auth) },
		netpoll.WithOnPrepare(h.onPrepare),
	)
	if err != nil {
		return fmt.Errorf("cannot create event loop: %w", err)
	}
	h.mu.Lock()
	if h.closing.Load() {
		h.mu.Unlock()
		return errors.New("cannot serve websockets: hub shut down")
	}
	h.loops = append(h.loops, el)
	h.mu.Unlock()
	if err := el.Serve(ln); err != nil && !h.closing.Load() {
		return fmt.Errorf("cannot serve websockets: %w", err)
	}
	return nil
}

// onPrepare runs at accept: it arms the handshake timeout and the cleanup.
func (h *Hub) onPrepare(nc netpoll.Connection) context.Context {
	st := &epState{}
	st.timer = time.AfterFunc(handshakeTimeout, func() {
		if st.c.Load() == nil {
			_ = nc.Close()
		}
	})
	_ = nc.AddCloseCallback(func(netpoll.Connection) error {
		st.timer.Stop()
		if c := st.c.Load(); c != nil {
			c.release()
			h.leave(c)
		}
		return nil
	})
	return context.WithValue(context.Background(), epStateKey{}, st)
}

// onData runs on a pooled goroutine whenever bytes arrive.
func (h *Hub) onData(ctx context.Context, nc netpoll.Connection, auth Authenticator) error {
	st, _ := ctx.Value(epStateKey{}).(*epState)
	if st == nil {
		return nc.Close()
	}
	c := st.c.Load()
	if c == nil {
		var err error
		if c, err = h.upgrade(ctx, st, nc, auth); c == nil || err != nil {
			return err
		}
	}
	for {
		ok, code, reason, err := c.readFrame(false)
		switch {
		case code != 0:
			c.protocolClose(code, reason)
			return nc.Close()
		case err != nil:
			c.closed.Store(true)
			return nc.Close()
		case !ok:
			return nil
		}
	}
}

// upgrade handles the handshake once the request head has arrived. It
// returns a nil conn while the head is incomplete or after a refusal.
func (h *Hub) upgrade(ctx context.Context, st *epState, nc netpoll.Connection, auth Authenticator) (*conn, error) {
	hc, ok := nc.(network.Conn) // netpoll's connection has hertz's zero-copy API
	if !ok {
		return nil, nc.Close()
	}
	n := hc.Len()
	b, err := hc.Peek(n)
	if err != nil {
		return nil, nc.Close()
	}
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		if n > maxHandshakeBytes {
			return nil, refuse(nc, http.StatusRequestHeaderFieldsTooLarge, "request head too large")
		}
		return nil, nil // wait for the rest
	}
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(b[:end+4])))
	_ = hc.Skip(end + 4)
	_ = hc.Release()
	if err != nil {
		return nil, refuse(nc, http.StatusBadRequest, "malformed request")
	}
	if h.closing.Load() {
		return nil, refuse(nc, http.StatusServiceUnavailable, "server shutting down")
	}
	key, herr := h.checkUpgrade(req.Method, func(name string) []byte {
		if name == "Host" {
			return []byte(req.Host) // net/http moves Host out of Header
		}
		return []byte(req.Header.Get(name))
	})
	if herr != nil {
		return nil, refuse(nc, herr.status, herr.msg)
	}
	orgID, userID, session, err := auth(ctx, req)
	if err != nil || orgID == "" {
		return nil, refuse(nc, http.StatusUnauthorized, "unauthorized")
	}
	c := &conn{hub: h, nc: hc, unwrapped: true, userID: userID, session: session}
	c.lastSeen.Store(h.now())
	resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
		acceptKey(key) + "\r\n\r\n"
	st.timer.Stop()
	if !h.join(c, orgID) {
		return nil, refuse(nc, http.StatusServiceUnavailable, "server shutting down")
	}
	st.c.Store(c)
	if err := c.write([]byte(resp), connectedMessage(orgID, userID)); err != nil {
		c.drop(ws.StatusGoingAway, "", ReasonWrite, false)
		return nil, nil
	}
	h.metrics.out.Inc()
	if h.closing.Load() {
		c.drop(StatusServiceRestart, ShutdownReason, ReasonShutdown, true)
		return nil, nil
	}
	return c, nil
}

// refuse answers a failed handshake with status and a JSON error, and
// closes the connection.
func refuse(nc netpoll.Connection, status int, msg string) error {
	body := `{"error":` + quote(msg) + `}`
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n", status, http.StatusText(status), len(body))
	if status == http.StatusUpgradeRequired {
		b.WriteString("Sec-WebSocket-Version: 13\r\n")
	}
	b.WriteString("\r\n" + body)
	_ = nc.SetWriteTimeout(time.Second)
	_, _ = nc.Write([]byte(b.String()))
	return nc.Close()
}
