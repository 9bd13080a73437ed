package server_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/echosenseix/echosenseix/server"
)

func TestErrorCode(t *testing.T) {
	tests := []struct {
		err  error
		code string
		msg  string
	}{
		{nil, "", ""},
		{errors.New("boom"), server.EINTERNAL, "internal error"},
		{server.Errorf(server.ENOTFOUND, "agent %s not found", "x"), server.ENOTFOUND, "agent x not found"},
		{fmt.Errorf("cannot get agent: %w", server.Errorf(server.EINVALID, "bad")), server.EINVALID, "bad"},
	}
	for _, tt := range tests {
		if got := server.ErrorCode(tt.err); got != tt.code {
			t.Errorf("ErrorCode(%v) = %q; want %q", tt.err, got, tt.code)
		}
		if got := server.ErrorMessage(tt.err); got != tt.msg {
			t.Errorf("ErrorMessage(%v) = %q; want %q", tt.err, got, tt.msg)
		}
	}
}

func TestAgentValidate(t *testing.T) {
	a := &server.Agent{Name: "x"}
	if err := a.Validate(); err != nil {
		t.Fatalf("Validate() = %v; want nil", err)
	}
	if a.Platform != server.DefaultAgentPlatform || a.Language != server.DefaultAgentLanguage || string(a.Settings) != "{}" {
		t.Errorf("defaults not applied: %+v", a)
	}
	bad := []*server.Agent{{}, {Name: "x", Settings: []byte(`[1]`)}, {Name: "x", Settings: []byte(`{`)}}
	for _, b := range bad {
		if got := server.ErrorCode(b.Validate()); got != server.EINVALID {
			t.Errorf("Validate(%+v) code = %q; want %q", b, got, server.EINVALID)
		}
	}
}
