package loadgen

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
)

// Seed is the demo data printed by `echosenseix seed`: who can log in, and
// what the voice platform needs to sign webhooks.
type Seed struct {
	Organizations []SeedOrg `json:"organizations"`
}

// SeedOrg is one organization of the seed.
type SeedOrg struct {
	ID            string      `json:"id"`
	Name          string      `json:"name"`
	WebhookSecret string      `json:"webhookSecret"`
	Users         []SeedUser  `json:"users"`
	Agents        []SeedAgent `json:"agents"`
}

// SeedUser is a login.
type SeedUser struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// SeedAgent is an agent and its id on the voice platform.
type SeedAgent struct {
	ID              string `json:"id"`
	ExternalAgentID string `json:"externalAgentId"`
}

// ReadSeed reads and checks a seed file.
func ReadSeed(path string) (Seed, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Seed{}, fmt.Errorf("cannot read seed: %w", err)
	}
	return ParseSeed(b)
}

// ParseSeed parses and checks seed JSON.
func ParseSeed(b []byte) (Seed, error) {
	var s Seed
	if err := json.Unmarshal(b, &s); err != nil {
		return Seed{}, fmt.Errorf("cannot parse seed: %w", err)
	}
	if len(s.Logins()) == 0 {
		return Seed{}, fmt.Errorf("cannot use seed: no users")
	}
	for _, o := range s.Organizations {
		if len(o.Agents) > 0 && o.WebhookSecret == "" {
			return Seed{}, fmt.Errorf("cannot use seed: organization %s has agents but no webhookSecret", o.ID)
		}
	}
	return s, nil
}

// Logins returns every user, interleaved across organizations (user 0 of
// each organization first), so any prefix spreads over the organizations.
func (s Seed) Logins() []SeedUser {
	var out []SeedUser
	for i := 0; ; i++ {
		added := false
		for _, o := range s.Organizations {
			if i < len(o.Users) {
				out = append(out, o.Users[i])
				added = true
			}
		}
		if !added {
			return out
		}
	}
}

// webhookTarget is an agent with its organization's secret.
type webhookTarget struct {
	secret, externalAgentID string
}

func (s Seed) webhookTargets() []webhookTarget {
	var out []webhookTarget
	for i := 0; ; i++ {
		added := false
		for _, o := range s.Organizations {
			if i < len(o.Agents) {
				out = append(out, webhookTarget{o.WebhookSecret, o.Agents[i].ExternalAgentID})
				added = true
			}
		}
		if !added {
			return out
		}
	}
}

// SignatureHeader is the voice platform's signature header.
const SignatureHeader = "ElevenLabs-Signature"

// Sign returns the ElevenLabs-Signature value for body sent at unix time ts:
// "t=<ts>,v0=<hex HMAC-SHA256(secret, "<ts>.<body>")>".
func Sign(secret string, ts int64, body []byte) string {
	t := strconv.FormatInt(ts, 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(t))
	m.Write([]byte{'.'})
	m.Write(body)
	return "t=" + t + ",v0=" + hex.EncodeToString(m.Sum(nil))
}

// PostCallBody returns a post_call_transcription webhook body.
func PostCallBody(externalAgentID, conversationID string, ts int64) []byte {
	b, _ := json.Marshal(map[string]any{
		"type":            "post_call_transcription",
		"event_timestamp": ts,
		"data": map[string]any{
			"agent_id":        externalAgentID,
			"conversation_id": conversationID,
			"status":          "done",
			"transcript":      []map[string]any{{"role": "agent", "message": "hi", "time_in_call_secs": 0}},
			"metadata":        map[string]any{"call_duration_secs": 42, "cost": 0.12},
			"analysis":        map[string]any{"transcript_summary": "load test call"},
		},
	})
	return b
}

// SignedWebhook returns the body and headers of a signed post-call webhook.
func SignedWebhook(secret, externalAgentID, conversationID string, ts int64) ([]byte, http.Header) {
	body := PostCallBody(externalAgentID, conversationID, ts)
	return body, http.Header{
		"Content-Type":  {"application/json"},
		SignatureHeader: {Sign(secret, ts, body)},
	}
}
