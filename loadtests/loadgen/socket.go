package loadgen

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/echosenseix/echosenseix/internal/wsclient"
)

// Socket is an open realtime connection.
type Socket interface{ Close() error }

// SocketDialer opens a realtime WebSocket to url with hdr (the session
// cookie), dialling from localAddr when set. onMessage gets every text
// message; onClose runs once when the socket ends by itself (not after
// Close).
type SocketDialer func(ctx context.Context, url string, hdr http.Header, localAddr string,
	onMessage func([]byte), onClose func(error)) (Socket, error)

// DialSocket is the default SocketDialer: internal/wsclient (gobwas/ws,
// small buffers; it answers the server's pings), one read goroutine per
// socket.
func DialSocket(ctx context.Context, url string, hdr http.Header, localAddr string,
	onMessage func([]byte), onClose func(error)) (Socket, error) {
	var netDial func(ctx context.Context, network, addr string) (net.Conn, error)
	if localAddr != "" {
		nd := net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(localAddr)}}
		netDial = nd.DialContext
	}
	c, err := wsclient.DialWith(ctx, url, hdr, netDial)
	if err != nil {
		return nil, err
	}
	s := &wsSocket{c: c}
	go s.read(onMessage, onClose)
	return s, nil
}

type wsSocket struct {
	c      *wsclient.Conn
	closed atomic.Bool
}

func (s *wsSocket) read(onMessage func([]byte), onClose func(error)) {
	for {
		msg, err := s.c.ReadMessage()
		if err != nil {
			_ = s.c.Close()
			if s.closed.CompareAndSwap(false, true) && onClose != nil {
				onClose(err)
			}
			return
		}
		if onMessage != nil {
			onMessage(msg)
		}
	}
}

// Ping sends {type:"ping"} (the server answers {type:"pong"}).
func (s *wsSocket) Ping() error { return s.c.WriteJSON(map[string]string{"type": "ping"}) }

// Close ends the socket without calling onClose. It only wakes the read
// goroutine (a read deadline in the past), which then closes the
// connection: wsclient.Conn.Close must not run while a read is in progress
// (it returns the read buffer to a pool).
func (s *wsSocket) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	return s.c.SetReadDeadline(time.Unix(1, 0))
}

// callCompleted is the type of the message every delivered webhook sends.
var callCompleted = []byte("call_completed")

// IsCallCompleted reports whether msg is a call_completed message, without
// allocating (the generator classifies every frame it receives).
func IsCallCompleted(msg []byte) bool { return bytes.Equal(messageType(msg), callCompleted) }

// messageType returns the "type" of a realtime message, a sub-slice of msg
// (nil when there is none).
func messageType(msg []byte) []byte {
	i := bytes.Index(msg, []byte(`"type"`))
	if i < 0 {
		return nil
	}
	rest := msg[i+6:]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return nil
	}
	rest = rest[j+1:]
	k := bytes.IndexByte(rest, '"')
	if k < 0 {
		return nil
	}
	return rest[:k]
}
