package server

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkCallLogValidate measures Validate, the check every webhook pays,
// on a small and a large transcript (the text and JSON scans grow with it).
func BenchmarkCallLogValidate(b *testing.B) {
	for _, turns := range []int{2, 500} {
		var t strings.Builder
		t.WriteString("[")
		for i := range turns {
			if i > 0 {
				t.WriteString(",")
			}
			fmt.Fprintf(&t, `{"role":"agent","message":"turn %d: thank you for calling, how can I help you today?","time_in_call_secs":%d}`, i, i)
		}
		t.WriteString("]")
		transcript := []byte(t.String())
		b.Run(fmt.Sprintf("transcript=%dB", len(transcript)), func(b *testing.B) {
			b.SetBytes(int64(len(transcript)))
			b.ReportAllocs()
			for b.Loop() {
				l := CallLog{OrganizationID: "00000000-0000-4000-8000-000000000001", AgentID: "00000000-0000-4000-8000-000000000002",
					ConversationID: "conv_01hx", Status: "done", PhoneNumber: "+15550001", Summary: "The caller asked about opening hours.",
					Transcript: transcript, Duration: 60, Cost: 0.25}
				if err := l.Validate(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
