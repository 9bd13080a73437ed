package loadgen

import "testing"

// BenchmarkOnMessage is the generator's work per realtime frame received
// (after the socket's read): classify and count it.
func BenchmarkOnMessage(b *testing.B) {
	msg := []byte(`{"type":"call_completed","organizationId":"0b6f7c1e-9d2a-4c1b-8e55-1f2a3b4c5d6e","data":{"conversationId":"cap-1"},"timestamp":"2026-12-03T14:00:00Z"}`)
	r := &tierRun{}
	b.ReportAllocs()
	for b.Loop() {
		r.onMessage(msg)
	}
	if r.sockets.CallCompleted == 0 {
		b.Fatal("not counted")
	}
}
