package wsload

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

func TestFramesRoundTrip(t *testing.T) {
	key := [4]byte{1, 2, 3, 4}
	for _, n := range []int{0, 5, 125, 126, 300, 70000} {
		payload := bytes.Repeat([]byte("x"), n)
		b := appendClientFrame(nil, opText, payload, key)
		rd := bytes.NewReader(b)
		hdr, err := ws.ReadHeader(rd)
		if err != nil || hdr.Length != int64(n) {
			t.Fatalf("len %d: gobwas cannot read our header: %+v, %v", n, hdr, err)
		}
		if !hdr.Masked || !hdr.Fin || hdr.OpCode != ws.OpText {
			t.Errorf("len %d: header %+v; want masked final text", n, hdr)
		}
		got := make([]byte, n)
		if _, err := io.ReadFull(rd, got); err != nil || rd.Len() != 0 {
			t.Fatalf("len %d: payload: %v, %d bytes left", n, err, rd.Len())
		}
		ws.Cipher(got, hdr.Mask, 0)
		if !bytes.Equal(got, payload) {
			t.Errorf("len %d: payload differs after unmasking", n)
		}
		// A server frame of the same payload parses whole, and not before.
		var sb bytes.Buffer
		_ = ws.WriteFrame(&sb, ws.NewTextFrame(payload))
		srv := sb.Bytes()
		if _, _, _, ok, _ := parseFrame(srv[:len(srv)-1]); ok && n > 0 {
			t.Errorf("len %d: incomplete frame parsed as whole", n)
		}
		op, p, total, ok, err := parseFrame(append(srv, 0x81))
		if err != nil || !ok || op != opText || total != len(srv) || !bytes.Equal(p, payload) {
			t.Errorf("len %d: parseFrame = op %d len %d total %d ok %v err %v; want the frame", n, op, len(p), total, ok, err)
		}
	}
	masked := appendClientFrame(nil, opText, []byte("hi"), key)
	if _, _, _, _, err := parseFrame(masked); err == nil {
		t.Errorf("masked server frame: got nil error; want one")
	}
	if got := closeCode([]byte{0x03, 0xe9}); got != 1001 {
		t.Errorf("closeCode: got %d; want 1001", got)
	}
	if got := closeCode(nil); got != 1005 {
		t.Errorf("closeCode(empty): got %d; want 1005", got)
	}
}

func TestParseCallCompleted(t *testing.T) {
	sent := time.Now().UnixNano()
	conv := ConversationID("ab12", 7, sent)
	msg := []byte(`{"type":"call_completed","organizationId":"o","data":{"callLogId":"c","agentId":"a","conversationId":"` +
		conv + `","duration":42},"timestamp":"2026-01-01T00:00:00Z"}`)
	seq, at, ok := parseCallCompleted(msg, "ab12")
	if !ok || seq != 7 || at != sent {
		t.Errorf("parseCallCompleted = %d, %d, %v; want 7, %d, true", seq, at, ok, sent)
	}
	for _, m := range [][]byte{
		bytes.Replace(msg, []byte("call_completed"), []byte("sync_started"), 1),
		bytes.Replace(msg, []byte("ab12"), []byte("ab13"), 1),
		[]byte(`{"type":"call_completed","data":{"conversationId":"other"}}`),
		[]byte(`{"type":"pong"}`),
	} {
		if _, _, ok := parseCallCompleted(m, "ab12"); ok {
			t.Errorf("parseCallCompleted(%s) ok; want not this run's event", m)
		}
	}
}

func TestParseResponse(t *testing.T) {
	resp := "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ncontent-length: 15\r\n\r\n{\"status\":\"ok\"}"
	st, n, ok, err := parseResponse([]byte(resp + "HTTP/1.1"))
	if err != nil || !ok || st != 200 || n != len(resp) {
		t.Errorf("parseResponse = %d, %d, %v, %v; want 200, %d, true", st, n, ok, err, len(resp))
	}
	if _, _, ok, err := parseResponse([]byte(resp[:len(resp)-2])); ok || err != nil {
		t.Errorf("partial body: ok %v err %v; want incomplete", ok, err)
	}
	if st, _, ok, _ := parseResponse([]byte("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")); !ok || st != 503 {
		t.Errorf("503: got %d ok %v", st, ok)
	}
	if _, _, _, err := parseResponse([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")); err == nil {
		t.Errorf("chunked: got nil error; want one")
	}
	if _, _, _, err := parseResponse([]byte("SSH-2.0\r\n\r\n")); err == nil {
		t.Errorf("garbage: got nil error; want one")
	}
}
