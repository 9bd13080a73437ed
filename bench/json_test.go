package bench_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/bytedance/sonic"

	"github.com/echosenseix/echosenseix/bench/peer"
	"github.com/echosenseix/echosenseix/server"
)

// webhook is the ElevenLabs post-call body as a handler decodes it (the
// fields it reads; extra fields are skipped).
type webhook struct {
	Type           string `json:"type"`
	EventTimestamp int64  `json:"event_timestamp"`
	Data           struct {
		AgentID        string          `json:"agent_id"`
		ConversationID string          `json:"conversation_id"`
		Status         string          `json:"status"`
		Transcript     json.RawMessage `json:"transcript"`
		Metadata       struct {
			CallDurationSecs int     `json:"call_duration_secs"`
			Cost             float64 `json:"cost"`
			PhoneCall        struct {
				ExternalNumber string `json:"external_number"`
			} `json:"phone_call"`
		} `json:"metadata"`
		Analysis struct {
			TranscriptSummary string `json:"transcript_summary"`
		} `json:"analysis"`
	} `json:"data"`
}

type codec struct {
	name      string
	marshal   func(any) ([]byte, error)
	unmarshal func([]byte, any) error
}

// codecs: "sonic" is sonic.ConfigStd (what hertz renders and binds with),
// "sonic_fast" is sonic.ConfigDefault (no HTML escaping, no key sorting),
// "encoding_json" the standard library. `make bench` pairs sonic with
// encoding_json.
var codecs = []codec{
	{"sonic", sonic.ConfigStd.Marshal, sonic.ConfigStd.Unmarshal},
	{"sonic_fast", sonic.ConfigDefault.Marshal, sonic.ConfigDefault.Unmarshal},
	{"encoding_json", json.Marshal, json.Unmarshal},
}

type payload struct {
	name  string
	value any
	fresh func() any // a new decode target
}

func payloads(tb testing.TB) []payload {
	agent := peer.DemoAgent(peer.DemoOrganizationID, 1)
	page := peer.DemoCallLogPage(agent, server.DefaultCallLogPageSize)
	var hook webhook
	body := peer.DemoWebhookBody(agent.ExternalAgentID, "conv_0001", time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC))
	if err := json.Unmarshal(body, &hook); err != nil {
		tb.Fatalf("cannot decode the demo webhook: %v", err)
	}
	ev := server.Event{Type: server.EventCallCompleted, OrganizationID: agent.OrganizationID,
		Data:      json.RawMessage(`{"callLogId":"10000000-0000-4000-8000-000000000001","agentId":"` + agent.ID + `","duration":95,"status":"done"}`),
		Timestamp: time.Date(2026, 11, 1, 9, 1, 35, 0, time.UTC)}
	return []payload{
		{"agent", agent, func() any { return new(server.Agent) }},
		{"calllog_page20", page, func() any { return new(server.CallLogPage) }},
		{"webhook", &hook, func() any { return new(webhook) }},
		{"event", &ev, func() any { return new(server.Event) }},
	}
}

// BenchmarkJSON encodes and decodes the real payloads with each codec:
// BenchmarkJSON/<payload>/<encode|decode>/<codec>.
func BenchmarkJSON(b *testing.B) {
	for _, p := range payloads(b) {
		data, err := json.Marshal(p.value)
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range codecs {
			b.Run(p.name+"/encode/"+c.name, func(b *testing.B) {
				_, _ = c.marshal(p.value) // sonic compiles its codec on first use
				b.ReportAllocs()
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					if _, err := c.marshal(p.value); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		for _, c := range codecs {
			b.Run(p.name+"/decode/"+c.name, func(b *testing.B) {
				_ = c.unmarshal(data, p.fresh())
				b.ReportAllocs()
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					if err := c.unmarshal(data, p.fresh()); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestCodecsAgree guards the benchmark: every codec round-trips every
// payload to the bytes encoding/json produces (sonic_fast may differ only in
// HTML escaping, which these payloads do not need).
func TestCodecsAgree(t *testing.T) {
	for _, p := range payloads(t) {
		want, _ := json.Marshal(p.value)
		for _, c := range codecs {
			got, err := c.marshal(p.value)
			if err != nil || string(got) != string(want) {
				t.Errorf("%s/%s: got %s (%v); want %s", p.name, c.name, got, err, want)
			}
			v := p.fresh()
			if err := c.unmarshal(want, v); err != nil {
				t.Errorf("%s/%s decode: %v", p.name, c.name, err)
			}
			again, _ := json.Marshal(v)
			if string(again) != string(want) {
				t.Errorf("%s/%s round trip: got %s; want %s", p.name, c.name, again, want)
			}
		}
	}
}
