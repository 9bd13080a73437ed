package wsload

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strconv"
)

// WebSocket opcodes.
const (
	opText  = 0x1
	opClose = 0x8
	opPing  = 0x9
	opPong  = 0xA
)

// maxServerFrame bounds one server frame's payload.
const maxServerFrame = 1 << 20

var (
	errMaskedServerFrame = errors.New("server frame is masked")
	errFrameTooBig       = errors.New("server frame too big")
)

// parseFrame parses the server frame at the start of b. ok is false when b
// does not hold a whole frame yet; n is the frame's length in bytes.
func parseFrame(b []byte) (op byte, payload []byte, n int, ok bool, err error) {
	if len(b) < 2 {
		return 0, nil, 0, false, nil
	}
	if b[1]&0x80 != 0 {
		return 0, nil, 0, false, errMaskedServerFrame
	}
	op = b[0] & 0x0f
	hs, l := 2, uint64(b[1]&0x7f)
	switch l {
	case 126:
		if len(b) < 4 {
			return 0, nil, 0, false, nil
		}
		hs, l = 4, uint64(binary.BigEndian.Uint16(b[2:4]))
	case 127:
		if len(b) < 10 {
			return 0, nil, 0, false, nil
		}
		hs, l = 10, binary.BigEndian.Uint64(b[2:10])
	}
	if l > maxServerFrame {
		return 0, nil, 0, false, errFrameTooBig
	}
	n = hs + int(l)
	if len(b) < n {
		return 0, nil, 0, false, nil
	}
	return op, b[hs:n], n, true, nil
}

// appendClientFrame appends one final, masked client frame.
func appendClientFrame(dst []byte, op byte, payload []byte, key [4]byte) []byte {
	dst = append(dst, 0x80|op)
	switch n := len(payload); {
	case n < 126:
		dst = append(dst, 0x80|byte(n))
	case n <= 0xffff:
		dst = append(dst, 0x80|126, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x80|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	dst = append(dst, key[:]...)
	start := len(dst)
	dst = append(dst, payload...)
	for i := range payload {
		dst[start+i] ^= key[i&3]
	}
	return dst
}

// closeCode answers the code of a close frame's payload (1005 when absent).
func closeCode(payload []byte) int {
	if len(payload) < 2 {
		return 1005
	}
	return int(binary.BigEndian.Uint16(payload))
}

// ConversationID encodes the run, the event's sequence number and the
// webhook's send time, so that a receiver measures the fan-out latency from
// the event alone.
func ConversationID(run string, seq uint32, sentUnixNano int64) string {
	return "wsl-" + run + "-" + strconv.FormatUint(uint64(seq), 10) + "-" + strconv.FormatInt(sentUnixNano, 10)
}

var (
	callCompletedType = []byte(`"type":"call_completed"`)
	conversationKey   = []byte(`"conversationId":"wsl-`)
)

// parseCallCompleted reads a call_completed message of run: its sequence
// number and send time. ok is false for any other message.
func parseCallCompleted(msg []byte, run string) (seq uint32, sent int64, ok bool) {
	if !bytes.Contains(msg, callCompletedType) {
		return 0, 0, false
	}
	i := bytes.Index(msg, conversationKey)
	if i < 0 {
		return 0, 0, false
	}
	rest := msg[i+len(conversationKey):]
	if !bytes.HasPrefix(rest, []byte(run)) || len(rest) <= len(run) || rest[len(run)] != '-' {
		return 0, 0, false
	}
	rest = rest[len(run)+1:]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return 0, 0, false
	}
	a, b, found := bytes.Cut(rest[:end], []byte("-"))
	if !found {
		return 0, 0, false
	}
	s, err1 := strconv.ParseUint(string(a), 10, 32)
	t, err2 := strconv.ParseInt(string(b), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return uint32(s), t, true
}

var (
	errBadResponse = errors.New("malformed HTTP response")
	errChunked     = errors.New("chunked HTTP response not supported")
)

// parseResponse parses the HTTP/1.1 response at the start of b: its status
// and total length. ok is false while it is incomplete.
func parseResponse(b []byte) (status, n int, ok bool, err error) {
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		if len(b) > 16<<10 {
			return 0, 0, false, errBadResponse
		}
		return 0, 0, false, nil
	}
	head := b[:end]
	line, rest, _ := bytes.Cut(head, []byte("\r\n"))
	if !bytes.HasPrefix(line, []byte("HTTP/1.")) || len(line) < 12 {
		return 0, 0, false, errBadResponse
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, 0, false, errBadResponse
	}
	length := 0
	for len(rest) > 0 {
		var h []byte
		h, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		name, val, found := bytes.Cut(h, []byte(":"))
		if !found {
			continue
		}
		val = bytes.TrimSpace(val)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(val)); err != nil || length < 0 {
				return 0, 0, false, errBadResponse
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")) && !bytes.EqualFold(val, []byte("identity")):
			return 0, 0, false, errChunked
		}
	}
	n = end + 4 + length
	if len(b) < n {
		return status, 0, false, nil
	}
	return status, n, true, nil
}
