package realtime

import (
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/cloudwego/hertz/pkg/app"
)

const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// handshakeError is a refused upgrade: an HTTP status and a message.
type handshakeError struct {
	status int
	msg    string
}

// checkHandshake validates a hertz upgrade request.
func (h *Hub) checkHandshake(c *app.RequestContext) ([]byte, *handshakeError) {
	return h.checkUpgrade(string(c.Method()), c.Request.Header.Peek)
}

// checkUpgrade validates the upgrade request (RFC 6455 4.2.1) and the
// Origin allow-list; header returns a request header's value. It returns
// the client key on success.
func (h *Hub) checkUpgrade(method string, header func(name string) []byte) ([]byte, *handshakeError) {
	if method != http.MethodGet {
		return nil, &handshakeError{http.StatusMethodNotAllowed, "websocket upgrade requires GET"}
	}
	if !hasToken(header("Upgrade"), "websocket") {
		return nil, &handshakeError{http.StatusBadRequest, "missing Upgrade: websocket"}
	}
	if !hasToken(header("Connection"), "upgrade") {
		return nil, &handshakeError{http.StatusBadRequest, "missing Connection: upgrade"}
	}
	if string(header("Sec-WebSocket-Version")) != "13" {
		return nil, &handshakeError{http.StatusUpgradeRequired, "unsupported Sec-WebSocket-Version (want 13)"}
	}
	key := header("Sec-WebSocket-Key")
	if n, err := base64.StdEncoding.Decode(make([]byte, 24), key); err != nil || n != 16 {
		return nil, &handshakeError{http.StatusBadRequest, "missing or malformed Sec-WebSocket-Key"}
	}
	if !h.origins.Allowed(header("Origin"), header("Host")) {
		return nil, &handshakeError{http.StatusForbidden, "origin not allowed"}
	}
	return key, nil
}

// hasToken reports whether the comma-separated header value v holds token,
// case-insensitively.
func hasToken(v []byte, token string) bool {
	for part := range strings.SplitSeq(string(v), ",") {
		if strings.EqualFold(strings.TrimSpace(part), token) {
			return true
		}
	}
	return false
}

// acceptKey computes Sec-WebSocket-Accept for a client key.
func acceptKey(key []byte) string {
	s := sha1.New()
	s.Write(key)
	s.Write([]byte(acceptGUID))
	return base64.StdEncoding.EncodeToString(s.Sum(nil))
}
