package server_test

import (
	"encoding/json"
	"testing"

	"github.com/echosenseix/echosenseix/server"
)

// TestValidateOnce: ValidateOnce checks a log that never passed Validate
// (and refuses a bad one every time), and skips a log that passed.
func TestValidateOnce(t *testing.T) {
	good := func() *server.CallLog {
		return &server.CallLog{OrganizationID: "00000000-0000-4000-8000-000000000001",
			AgentID: "00000000-0000-4000-8000-000000000002", ConversationID: "c"}
	}
	tests := []struct {
		name  string
		log   func() *server.CallLog
		prior bool // Validate ran before
		runs  uint64
		ok    bool
	}{
		{"never validated", good, false, 1, true},
		{"validated", good, true, 0, true},
		{"bad, never validated", func() *server.CallLog { l := good(); l.Transcript = json.RawMessage("{"); return l }, false, 1, false},
		{"bad, failed before", func() *server.CallLog { l := good(); l.ConversationID = ""; return l }, true, 1, false},
	}
	for _, tt := range tests {
		l := tt.log()
		if tt.prior {
			_ = l.Validate()
		}
		before := server.CallLogValidations()
		err := l.ValidateOnce()
		if got := server.CallLogValidations() - before; got != tt.runs {
			t.Errorf("%s: ValidateOnce ran Validate %d times; want %d", tt.name, got, tt.runs)
		}
		if (err == nil) != tt.ok {
			t.Errorf("%s: ValidateOnce = %v; want ok %v", tt.name, err, tt.ok)
		}
	}
}
