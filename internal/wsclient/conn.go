package wsclient

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gobwas/ws"
)

// ReadBufferSize is the handshake read buffer, in bytes: small, since one
// load generator holds thousands of connections.
const ReadBufferSize = 512

// DialTimeout bounds the TCP connect and the handshake when ctx has no
// earlier deadline.
const DialTimeout = 10 * time.Second

// MaxMessageSize bounds one server message, in bytes.
const MaxMessageSize = 1 << 20

// CloseError is returned by reads once the server sent a close frame.
type CloseError struct {
	Code   ws.StatusCode
	Reason string
}

func (e *CloseError) Error() string {
	return fmt.Sprintf("websocket closed by server: %d %s", e.Code, e.Reason)
}

// HandshakeError is a refused upgrade: the HTTP status the server answered.
type HandshakeError struct{ Status int }

func (e *HandshakeError) Error() string {
	return fmt.Sprintf("websocket handshake refused: HTTP %d", e.Status)
}

// Conn is one client WebSocket. Reads are for one goroutine; writes are
// safe from several.
type Conn struct {
	nc  net.Conn
	r   io.Reader // buffered: the handshake's leftover bytes first, then nc
	buf []byte    // payload buffer, reused between reads
	hdr [ws.MaxHeaderSize - 2]byte
	wmu sync.Mutex
}

// Dial opens a WebSocket to url ("ws://host:port/path") sending hdr with the
// handshake (cookies, tokens; the load generator's identity headers).
func Dial(ctx context.Context, url string, hdr http.Header) (*Conn, error) {
	return DialWith(ctx, url, hdr, nil)
}

// DialWith is Dial with a custom TCP dialer (e.g. a chosen source address);
// a nil netDial uses net.Dialer.
func DialWith(ctx context.Context, url string, hdr http.Header, netDial func(ctx context.Context, network, addr string) (net.Conn, error)) (*Conn, error) {
	var status int
	d := ws.Dialer{
		ReadBufferSize: ReadBufferSize, WriteBufferSize: ReadBufferSize, Timeout: DialTimeout,
		Header: ws.HandshakeHeaderHTTP(hdr), NetDial: netDial,
		OnStatusError: func(s int, _ []byte, _ io.Reader) { status = s },
	}
	nc, br, _, err := d.Dial(ctx, url)
	if err != nil {
		if status != 0 {
			return nil, &HandshakeError{Status: status}
		}
		return nil, fmt.Errorf("cannot dial websocket %s: %w", url, err)
	}
	// A small read buffer: a header and its payload usually arrive in one
	// segment, so one read system call per message instead of two or three
	// (a load generator reads ~100,000 messages/s at the 100k tier).
	var r io.Reader = nc
	if br != nil {
		r = io.MultiReader(br, nc)
	}
	return &Conn{nc: nc, r: bufio.NewReaderSize(r, ReadBufferSize)}, nil
}

// NetConn returns the underlying connection (deadlines, raw writes).
func (c *Conn) NetConn() net.Conn { return c.nc }

// SetReadDeadline sets the deadline of the following reads.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.nc.SetReadDeadline(t) }

// ReadMessage returns the next text or binary message. It answers pings,
// skips pongs and returns a *CloseError on a close frame. The returned
// slice is valid until the next read.
func (c *Conn) ReadMessage() ([]byte, error) {
	c.buf = c.buf[:0]
	for {
		h, err := ws.ReadHeaderBuffer(c.r, c.hdr[:])
		if err != nil {
			return nil, err
		}
		if h.Length > MaxMessageSize || int64(len(c.buf))+h.Length > MaxMessageSize {
			return nil, fmt.Errorf("cannot read message: %d bytes exceed %d", h.Length, MaxMessageSize)
		}
		start := len(c.buf)
		c.buf = slices.Grow(c.buf, int(h.Length))[:start+int(h.Length)]
		if _, err := io.ReadFull(c.r, c.buf[start:]); err != nil {
			return nil, err
		}
		if h.Masked {
			ws.Cipher(c.buf[start:], h.Mask, 0)
		}
		if h.OpCode.IsControl() {
			p := c.buf[start:]
			c.buf = c.buf[:start]
			if err := c.control(h.OpCode, p); err != nil {
				return nil, err
			}
			continue
		}
		if h.Fin {
			return c.buf, nil
		}
	}
}

// control handles a control frame received between data frames.
func (c *Conn) control(op ws.OpCode, p []byte) error {
	switch op {
	case ws.OpPing:
		return c.writeFrame(ws.NewPongFrame(append([]byte(nil), p...)))
	case ws.OpClose:
		code, reason := ws.StatusNoStatusRcvd, ""
		if len(p) >= 2 {
			code, reason = ws.ParseCloseFrameData(p)
		}
		_ = c.writeFrame(ws.NewCloseFrame(ws.NewCloseFrameBody(code, "")))
		return &CloseError{Code: code, Reason: reason}
	}
	return nil
}

// ReadJSON reads the next message into v.
func (c *Conn) ReadJSON(v any) error {
	b, err := c.ReadMessage()
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("cannot decode message: %w", err)
	}
	return nil
}

// WriteJSON sends v as one text message.
func (c *Conn) WriteJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("cannot encode message: %w", err)
	}
	return c.writeFrame(ws.NewTextFrame(b))
}

// WritePing sends a WebSocket ping frame.
func (c *Conn) WritePing() error { return c.writeFrame(ws.NewPingFrame(nil)) }

// writeFrame masks and writes one frame (client frames must be masked).
func (c *Conn) writeFrame(f ws.Frame) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return ws.WriteFrame(c.nc, ws.MaskFrameInPlace(f))
}

// Close sends a normal close frame (best effort) and closes the socket.
func (c *Conn) Close() error {
	_ = c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	_ = c.writeFrame(ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusNormalClosure, "")))
	// The handshake's buffered reader is left to the garbage collector, not
	// returned to gobwas' pool: another goroutine may still be inside
	// ReadMessage on it, and a pooled buffer must not be reused while read.
	return c.nc.Close()
}

// IsClose reports whether err is a server close with one of codes (any
// code when none is given).
func IsClose(err error, codes ...ws.StatusCode) bool {
	var ce *CloseError
	if !errors.As(err, &ce) {
		return false
	}
	if len(codes) == 0 {
		return true
	}
	for _, c := range codes {
		if ce.Code == c {
			return true
		}
	}
	return false
}
