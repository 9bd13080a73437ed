package loadgen

import (
	"net/http"

	"github.com/echosenseix/echosenseix/internal/seed"
	"github.com/echosenseix/echosenseix/internal/webhook"
)

// Seed is the demo data printed by `echosenseix seed` (see internal/seed).
type Seed = seed.File

// SeedOrg, SeedUser and SeedAgent are the parts of a Seed.
type (
	SeedOrg   = seed.Org
	SeedUser  = seed.User
	SeedAgent = seed.Agent
)

// ReadSeed reads and checks a seed file.
func ReadSeed(path string) (Seed, error) { return seed.Read(path) }

// ParseSeed parses and checks seed JSON.
func ParseSeed(b []byte) (Seed, error) { return seed.Parse(b) }

// SignatureHeader is the voice platform's signature header.
const SignatureHeader = webhook.Header

// Sign returns the SignatureHeader value for body sent at unix time ts.
func Sign(secret string, ts int64, body []byte) string {
	return webhook.SignUnix([]byte(secret), body, ts)
}

// SignedWebhook returns the body and headers of a signed post-call webhook.
func SignedWebhook(secret, externalAgentID, conversationID string, ts int64) ([]byte, http.Header) {
	body := webhook.PostCallBody(externalAgentID, conversationID, ts, 42)
	return body, http.Header{
		"Content-Type":  {"application/json"},
		SignatureHeader: {Sign(secret, ts, body)},
	}
}
