package server

import (
	"strings"
	"testing"
)

func TestStorableJSON(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{`[]`, true},
		{`[{"m":"hi"}]`, true},
		{`["a\\u0000"]`, true}, // an escaped backslash, then the text u0000
		{`["\n\t\"\\"]`, true},
		{`["\u00e9"]`, true},
		{`["\ud83d\ude00"]`, true},
		{`["\uD83D\uDE00"]`, true},
		{`["\u0000"]`, false},
		{`["a\u0000b"]`, false},
		{`["\\\u0000"]`, false},
		{`["\ud83d"]`, false},
		{`["\ud83dx"]`, false},
		{`["\ud83d\u0041"]`, false},
		{`["\ude00"]`, false},
		{"[\"\xff\"]", false},
		{"[\"\x00\"]", false},
	}
	for _, tt := range tests {
		if got := StorableJSON([]byte(tt.in)); got != tt.want {
			t.Errorf("StorableJSON(%q) = %v; want %v", tt.in, got, tt.want)
		}
	}
}

func TestValidateRefusesNUL(t *testing.T) {
	const org, agent = "00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"
	log := func(f func(l *CallLog)) error {
		l := &CallLog{OrganizationID: org, AgentID: agent, ConversationID: "c"}
		f(l)
		return l.Validate()
	}
	ag := func(f func(a *Agent)) error {
		a := &Agent{Name: "n"}
		f(a)
		return a.Validate()
	}
	doc := func(f func(d *Document)) error {
		d := &Document{Title: "t", Content: "c"}
		f(d)
		return d.Validate()
	}
	tests := []struct {
		name  string
		err   error
		field string // named in the message; "" = valid
	}{
		{"call log ok", log(func(*CallLog) {}), ""},
		{"conversation", log(func(l *CallLog) { l.ConversationID = "c\x00" }), "conversationId"},
		{"platform", log(func(l *CallLog) { l.Platform = "\x00" }), "platform"},
		{"external call", log(func(l *CallLog) { l.ExternalCallID = "\x00" }), "externalCallId"},
		{"phone", log(func(l *CallLog) { l.PhoneNumber = "+1\x00" }), "phoneNumber"},
		{"status", log(func(l *CallLog) { l.Status = "\x00" }), "status"},
		{"summary", log(func(l *CallLog) { l.Summary = "s\x00" }), "summary"},
		{"audio", log(func(l *CallLog) { l.AudioURL = "\x00" }), "audioUrl"},
		{"summary bad utf8", log(func(l *CallLog) { l.Summary = "\xc3" }), "summary"},
		{"transcript escape", log(func(l *CallLog) { l.Transcript = []byte(`[{"m":"\u0000"}]`) }), "transcript"},
		{"transcript surrogate", log(func(l *CallLog) { l.Transcript = []byte(`["\ud800"]`) }), "transcript"},
		{"agent ok", ag(func(*Agent) {}), ""},
		{"agent name", ag(func(a *Agent) { a.Name = "a\x00" }), "name"},
		{"agent description", ag(func(a *Agent) { a.Description = "\x00" }), "description"},
		{"agent first message", ag(func(a *Agent) { a.FirstMessage = "\x00" }), "firstMessage"},
		{"agent prompt", ag(func(a *Agent) { a.SystemPrompt = "\x00" }), "systemPrompt"},
		{"agent external id", ag(func(a *Agent) { a.ExternalAgentID = "\x00" }), "externalAgentId"},
		{"agent language", ag(func(a *Agent) { a.Language = "\x00" }), "language"},
		{"agent voice", ag(func(a *Agent) { a.VoiceID = "\x00" }), "voiceId"},
		{"agent settings", ag(func(a *Agent) { a.Settings = []byte(`{"k":"\u0000"}`) }), "settings"},
		{"document ok", doc(func(*Document) {}), ""},
		{"document title", doc(func(d *Document) { d.Title = "\x00" }), "title"},
		{"document content", doc(func(d *Document) { d.Content = "x\x00" }), "content"},
	}
	for _, tt := range tests {
		switch {
		case tt.field == "" && tt.err != nil:
			t.Errorf("%s: Validate() = %v; want nil", tt.name, tt.err)
		case tt.field == "":
		case ErrorCode(tt.err) != EINVALID || !strings.HasPrefix(ErrorMessage(tt.err), tt.field+" "):
			t.Errorf("%s: Validate() = %v; want EINVALID naming %s", tt.name, tt.err, tt.field)
		}
	}
}
