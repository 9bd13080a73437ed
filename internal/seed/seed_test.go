package seed_test

import (
	"strings"
	"testing"

	"github.com/echosenseix/echosenseix/internal/seed"
)

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		name, json, wantErr string
	}{
		{"ok", `{"organizations":[{"id":"o","webhookSecret":"s","users":[{"email":"a","password":"p"}],"agents":[{"externalAgentId":"x"}]}]}`, ""},
		{"not json", `{`, "cannot parse seed"},
		{"no users", `{"organizations":[{"id":"o"}]}`, "no users"},
		{"agents without secret", `{"organizations":[{"id":"o","users":[{"email":"a"}],"agents":[{"externalAgentId":"x"}]}]}`, "no webhookSecret"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := seed.Parse([]byte(tt.json))
			if got := err != nil; got != (tt.wantErr != "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Parse error = %v; want %q", err, tt.wantErr)
			}
		})
	}
}

func TestInterleaved(t *testing.T) {
	s := seed.File{Organizations: []seed.Org{
		{WebhookSecret: "s1", Users: []seed.User{{Email: "a1"}, {Email: "a2"}, {Email: "a3"}}, Agents: []seed.Agent{{ExternalAgentID: "x1"}}},
		{WebhookSecret: "s2", Users: []seed.User{{Email: "b1"}}, Agents: []seed.Agent{{ExternalAgentID: "y1"}, {ExternalAgentID: "y2"}}},
	}}
	var emails []string
	for _, u := range s.Logins() {
		emails = append(emails, u.Email)
	}
	if got, want := strings.Join(emails, ","), "a1,b1,a2,a3"; got != want {
		t.Errorf("Logins = %s; want %s", got, want)
	}
	var targets []string
	for _, tg := range s.Targets() {
		targets = append(targets, tg.Secret+"/"+tg.ExternalAgentID)
	}
	if got, want := strings.Join(targets, ","), "s1/x1,s2/y1,s2/y2"; got != want {
		t.Errorf("Targets = %s; want %s", got, want)
	}
}
