package httpapi

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/echosenseix/echosenseix/server"
	usecase "github.com/echosenseix/echosenseix/server/app"
)

// FuzzWebhook feeds the post-call webhook's parsers and validator arbitrary
// bodies and signature headers (seed corpus in testdata/fuzz/FuzzWebhook).
// Invariants: nothing panics; every refusal is EINVALID (400), never an
// internal error; a call log the validator accepts holds no NUL in any
// text field, and its transcript is JSON without \u0000 that passes
// Validate again unchanged; a parsed signature has a timestamp and a v0.
//
//	go test -run '^$' -fuzz '^FuzzWebhook$' -fuzztime 20s ./server/httpapi/
func FuzzWebhook(f *testing.F) {
	f.Add([]byte(`{"type":"post_call_transcription","data":{"agent_id":"a","conversation_id":"c","transcript":[{"role":"agent","message":"hi"}],"metadata":{"call_duration_secs":12,"cost":1.5}}}`),
		[]byte("t=1700000000,v0=0000000000000000000000000000000000000000000000000000000000000000"))
	f.Add([]byte(`{"type":"post_call_transcription","data":{"agent_id":"a","conversation_id":"c\u0000","metadata":{"call_duration_secs":1}}}`), []byte("t=1,v0=00"))
	f.Add([]byte(`{"type":"post_call_transcription","data":{"agent_id":"a","conversation_id":"c","transcript":["\u0000"],"metadata":{"call_duration_secs":1}}}`), []byte(""))
	wa := usecase.WebhookAgent{OrgID: "00000000-0000-4000-8000-000000000001", AgentID: "00000000-0000-4000-8000-000000000002"}
	f.Fuzz(func(t *testing.T, body, header []byte) {
		if sig, err := parseSignature(header); err == nil && (sig.Timestamp < 0 || sig.Len() == 0) {
			t.Fatalf("parseSignature(%q) = %+v without error; want a timestamp and a v0", header, sig)
		} else if err != nil {
			wantInvalid(t, "parseSignature", err, server.EUNAUTHORIZED)
		}
		if _, err := webhookAgentID(body); err != nil {
			wantInvalid(t, "webhookAgentID", err, server.EINVALID)
		}
		var ev postCallEvent
		if err := decodeJSON(body, &ev, false, DefaultMaxJSONDepth); err != nil {
			wantInvalid(t, "decodeJSON", err, server.EINVALID)
			return
		}
		l, err := ev.callLog(wa)
		if err == nil {
			err = l.Validate() // the use case's one check
		}
		if err != nil {
			wantInvalid(t, "callLog", err, server.EINVALID)
			return
		}
		checkStorable(t, l)
	})
}

// wantInvalid fails unless err carries code.
func wantInvalid(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := server.ErrorCode(err); got != code {
		t.Fatalf("%s: error %v has code %q; want %q", what, err, got, code)
	}
}

// checkStorable asserts what Validate promises of an accepted call log.
func checkStorable(t *testing.T, l *server.CallLog) {
	t.Helper()
	for _, s := range []string{l.OrganizationID, l.AgentID, l.Platform, l.ExternalCallID, l.ConversationID,
		l.PhoneNumber, l.Status, l.Summary, l.AudioURL} {
		if !server.StorableText(s) {
			t.Fatalf("accepted call log has a field %q with NUL or invalid UTF-8", s)
		}
	}
	var v any
	if err := json.Unmarshal(l.Transcript, &v); err != nil {
		t.Fatalf("accepted transcript %q is not JSON: %v", l.Transcript, err)
	}
	if nulInJSON(v) || !server.StorableJSON(l.Transcript) {
		t.Fatalf("accepted transcript %q holds a NUL", l.Transcript)
	}
	before := *l
	if err := l.Validate(); err != nil || !bytes.Equal(before.Transcript, l.Transcript) || before.ConversationID != l.ConversationID {
		t.Fatalf("accepted call log fails Validate again (%v) or changes", err)
	}
}

// nulInJSON reports whether a decoded JSON value holds a NUL in any string.
func nulInJSON(v any) bool {
	switch v := v.(type) {
	case string:
		return bytes.IndexByte([]byte(v), 0) >= 0
	case []any:
		for _, e := range v {
			if nulInJSON(e) {
				return true
			}
		}
	case map[string]any:
		for k, e := range v {
			if nulInJSON(k) || nulInJSON(e) {
				return true
			}
		}
	}
	return false
}
