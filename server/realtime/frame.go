package realtime

import (
	"encoding/binary"

	"github.com/gobwas/ws"
)

// appendFrame appends one unmasked, final server frame (header and payload)
// to dst. Server frames are never masked (RFC 6455 5.1).
func appendFrame(dst []byte, op ws.OpCode, payload []byte) []byte {
	n := len(payload)
	dst = append(dst, 0x80|byte(op))
	switch {
	case n < 126:
		dst = append(dst, byte(n))
	case n <= 0xffff:
		dst = append(dst, 126, 0, 0)
		binary.BigEndian.PutUint16(dst[len(dst)-2:], uint16(n))
	default:
		dst = append(dst, 127, 0, 0, 0, 0, 0, 0, 0, 0)
		binary.BigEndian.PutUint64(dst[len(dst)-8:], uint64(n))
	}
	return append(dst, payload...)
}

// textFrame returns a new frame carrying payload as one text message.
func textFrame(payload []byte) []byte {
	return appendFrame(make([]byte, 0, len(payload)+10), ws.OpText, payload)
}

// closeFrame returns a close frame with code and reason.
func closeFrame(code ws.StatusCode, reason string) []byte {
	return appendFrame(make([]byte, 0, len(reason)+4), ws.OpClose, ws.NewCloseFrameBody(code, reason))
}

// pingFrame is the heartbeat frame, shared by every connection.
var pingFrame = appendFrame(nil, ws.OpPing, nil)

// clientHeader is a parsed client frame header.
type clientHeader struct {
	fin    bool
	rsv    byte
	op     ws.OpCode
	masked bool
	mask   [4]byte
	length int64
	size   int // header size in bytes
}

// headerSize returns the full header size given its first two bytes.
func headerSize(b0, b1 byte) int {
	n := 2
	switch b1 & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if b1&0x80 != 0 {
		n += 4
	}
	return n
}

// parseHeader parses a complete header held in b (len(b) == headerSize).
func parseHeader(b []byte) clientHeader {
	h := clientHeader{
		fin:    b[0]&0x80 != 0,
		rsv:    (b[0] >> 4) & 0x7,
		op:     ws.OpCode(b[0] & 0x0f),
		masked: b[1]&0x80 != 0,
		size:   len(b),
	}
	p := 2
	switch l := b[1] & 0x7f; l {
	case 126:
		h.length = int64(binary.BigEndian.Uint16(b[2:4]))
		p = 4
	case 127:
		h.length = int64(binary.BigEndian.Uint64(b[2:10]) & (1<<63 - 1))
		p = 10
	default:
		h.length = int64(l)
	}
	if h.masked {
		copy(h.mask[:], b[p:p+4])
	}
	return h
}
