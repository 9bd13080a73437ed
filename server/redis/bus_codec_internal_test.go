package redis

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// TestEventJSONMatchesEncodingJSON: the bus's sonic codec writes the bytes
// encoding/json writes (so buses of older builds on the same channel read
// them alike) and reads them back to the same event.
func TestEventJSONMatchesEncodingJSON(t *testing.T) {
	ts := time.Date(2026, 12, 3, 15, 4, 5, 123456789, time.UTC)
	for _, ev := range []server.Event{
		{Type: server.EventCallCompleted, OrganizationID: "8f0c2a4e-0000-4000-8000-000000000001", Timestamp: ts,
			Data: json.RawMessage(`{"callLogId":"x","duration":12,"cost":0.12,"status":"done"}`)},
		{Type: "a<b>&c", OrganizationID: "o\u2028\"q\"\\", ID: "id-1", Timestamp: ts,
			Data: json.RawMessage("{ \"spaced\" : [ 1 , 2 ],\n \"html\": \"<script>&\" }")},
		{Type: "empty", Timestamp: ts.In(time.FixedZone("x", 3600))},
	} {
		want, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		got, err := eventJSON.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("encode:\n got  %s\n want %s", got, want)
		}
		var back, ref server.Event
		if err := eventJSON.UnmarshalFromString(string(want), &back); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(want, &ref); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(back.Data, ref.Data) || back.Type != ref.Type || back.OrganizationID != ref.OrganizationID ||
			back.ID != ref.ID || !back.Timestamp.Equal(ref.Timestamp) {
			t.Errorf("decode: got %+v, want %+v", back, ref)
		}
	}
}

// BenchmarkEventCodec is one call_completed event encoded and decoded, as
// Publish and deliver do: the bus's codec against encoding/json.
func BenchmarkEventCodec(b *testing.B) {
	ev := server.Event{Type: server.EventCallCompleted, OrganizationID: "8f0c2a4e-0000-4000-8000-000000000001",
		Timestamp: time.Now().UTC(), Data: json.RawMessage(`{"callLogId":"3f0c2a4e-0000-4000-8000-000000000009",` +
			`"agentId":"5f0c2a4e-0000-4000-8000-000000000002","conversationId":"conv-123","duration":95,"cost":0.1275,"status":"done"}`)}
	for _, bc := range []struct {
		name string
		enc  func(any) ([]byte, error)
		dec  func(string, *server.Event) error
	}{
		{"sonic", eventJSON.Marshal, func(s string, ev *server.Event) error { return eventJSON.UnmarshalFromString(s, ev) }},
		{"encoding_json", json.Marshal, func(s string, ev *server.Event) error { return json.Unmarshal([]byte(s), ev) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				data, err := bc.enc(ev)
				if err != nil {
					b.Fatal(err)
				}
				var back server.Event
				if err := bc.dec(string(data), &back); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
