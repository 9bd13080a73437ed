package realtime

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/network"
	"github.com/gobwas/ws"
)

// ServeWS upgrades an authenticated request to a WebSocket for the given
// identity. The caller (httpapi) has already authenticated the request and
// passes the organization and user from the identity, and the tag of the
// session it belongs to (empty: none), by which a logout closes it. A bad handshake is
// answered with 400/403/405/426 and a JSON {"error"}; during Shutdown 503.
// On success the response is 101 (hertz writes it, then runs the hijack
// handler on the connection's goroutine, which lives as long as the socket).
func (h *Hub) ServeWS(ctx context.Context, c *app.RequestContext, orgID, userID, session string) {
	if h.closing.Load() {
		c.AbortWithStatusJSON(http.StatusServiceUnavailable, map[string]string{"error": "server shutting down"})
		return
	}
	key, herr := h.checkHandshake(c)
	if herr != nil {
		if herr.status == http.StatusUpgradeRequired {
			c.Response.Header.Set("Sec-WebSocket-Version", "13")
		}
		c.AbortWithStatusJSON(herr.status, map[string]string{"error": herr.msg})
		return
	}
	c.SetStatusCode(http.StatusSwitchingProtocols)
	c.Response.Header.Set("Upgrade", "websocket")
	c.Response.Header.Set("Connection", "Upgrade")
	c.Response.Header.Set("Sec-WebSocket-Accept", acceptKey(key))
	// The request's buffers are recycled after the handler: copy the ids.
	orgID, userID, session = strings.Clone(orgID), strings.Clone(userID), strings.Clone(session)
	c.Hijack(func(nc network.Conn) { h.serveConn(nc, orgID, userID, session) })
}

// serveConn runs on the hijack goroutine for the socket's whole life.
func (h *Hub) serveConn(nc network.Conn, orgID, userID, session string) {
	c := newConn(h, nc, userID, session)
	c.lastSeen.Store(h.now())
	if !h.join(c, orgID) {
		c.drop(StatusServiceRestart, ShutdownReason, ReasonShutdown, true)
		c.release()
		return
	}
	defer h.leave(c)
	defer c.release()
	if h.closing.Load() {
		c.drop(StatusServiceRestart, ShutdownReason, ReasonShutdown, true)
		return
	}
	if err := c.write(connectedMessage(orgID, userID)); err != nil {
		c.drop(ws.StatusGoingAway, "", ReasonWrite, false)
		return
	}
	h.metrics.out.Inc()
	if code, reason := c.readLoop(); code != 0 {
		c.protocolClose(code, reason)
	}
	c.closed.Store(true)
}

// protocolClose sends the close code for a client's protocol violation.
func (c *conn) protocolClose(code ws.StatusCode, reason string) {
	if !c.closed.CompareAndSwap(false, true) {
		return
	}
	c.hub.metrics.dropped.WithLabelValues(ReasonProtocol).Inc()
	c.wmu.Lock()
	_ = c.writeLocked(closeWriteTimeout, closeFrame(code, reason))
	c.wmu.Unlock()
}

// errClosed ends the read loop after the client's close frame was echoed.
var errClosed = errors.New("closed by peer")

// readLoop reads client frames until the connection ends, blocking the
// hijack goroutine between frames. It returns a close code (0 for none) the
// server should send.
func (c *conn) readLoop() (ws.StatusCode, string) {
	for {
		_, code, reason, err := c.readFrame(true)
		if code != 0 {
			return code, reason
		}
		if err != nil {
			return 0, ""
		}
	}
}

// readFrame reads and handles one frame straight out of the connection's
// input buffer: Peek the header, Peek the payload, unmask it in place,
// handle it, Skip and Release. Nothing is copied into buffers of ours. With
// wait false it returns ok false, consuming nothing, when the buffer does
// not hold a whole frame yet (the event-driven listener calls it again when
// more bytes arrive).
func (c *conn) readFrame(wait bool) (ok bool, code ws.StatusCode, reason string, err error) {
	have := func(n int) bool { return wait || c.nc.Len() >= n }
	if !have(2) {
		return false, 0, "", nil
	}
	b, err := c.nc.Peek(2)
	if err != nil {
		return false, 0, "", err
	}
	hs := headerSize(b[0], b[1])
	if !have(hs) {
		return false, 0, "", nil
	}
	if b, err = c.nc.Peek(hs); err != nil {
		return false, 0, "", err
	}
	hdr := parseHeader(b)
	if code, reason := c.checkFrame(hdr); code != 0 {
		return false, code, reason, nil
	}
	total := hs + int(hdr.length)
	if !have(total) {
		return false, 0, "", nil
	}
	if b, err = c.nc.Peek(total); err != nil {
		return false, 0, "", err
	}
	payload := b[hs:total]
	ws.Cipher(payload, hdr.mask, 0)
	c.lastSeen.Store(c.hub.now())
	code, reason, err = c.handleFrame(hdr.op, payload)
	if serr := c.nc.Skip(total); serr != nil && err == nil {
		err = serr
	}
	if rerr := c.nc.Release(); rerr != nil && err == nil {
		err = rerr
	}
	return true, code, reason, err
}

// checkFrame enforces RFC 6455 on a client frame header and the size limit.
func (c *conn) checkFrame(h clientHeader) (ws.StatusCode, string) {
	switch {
	case !h.masked:
		return ws.StatusProtocolError, "client frames must be masked"
	case h.rsv != 0:
		return ws.StatusProtocolError, "no extension negotiated"
	case h.op.IsControl() && (!h.fin || h.length > 125):
		return ws.StatusProtocolError, "bad control frame"
	case h.op.IsReserved():
		return ws.StatusProtocolError, "reserved opcode"
	case h.length > c.hub.cfg.MaxMessageSize:
		return ws.StatusMessageTooBig, "message too big"
	case !h.op.IsControl() && (!h.fin || h.op == ws.OpContinuation):
		return ws.StatusUnsupportedData, "fragmented messages are not supported"
	}
	return 0, ""
}

// handleFrame acts on one unmasked frame. payload is only valid during the
// call.
func (c *conn) handleFrame(op ws.OpCode, payload []byte) (ws.StatusCode, string, error) {
	switch op {
	case ws.OpPing:
		return 0, "", c.write(appendFrame(make([]byte, 0, len(payload)+2), ws.OpPong, payload))
	case ws.OpPong:
		return 0, "", nil
	case ws.OpClose:
		c.closeByPeer(payload)
		return 0, "", errClosed
	default:
		c.hub.metrics.in.Inc()
		return 0, "", c.handleMessage(payload)
	}
}

// closeByPeer echoes the client's close code and marks the connection closed.
func (c *conn) closeByPeer(payload []byte) {
	if !c.closed.CompareAndSwap(false, true) {
		return
	}
	code := ws.StatusNormalClosure
	if len(payload) >= 2 {
		code, _ = ws.ParseCloseFrameData(payload)
	}
	c.wmu.Lock()
	_ = c.writeLocked(closeWriteTimeout, closeFrame(code, ""))
	c.wmu.Unlock()
}

// Hub is httpapi's Realtime; the interface is restated here so that a
// signature drift fails to compile in this package too.
var _ interface {
	ServeWS(ctx context.Context, c *app.RequestContext, orgID, userID, session string)
} = (*Hub)(nil)
