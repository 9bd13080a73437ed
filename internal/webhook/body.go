package webhook

import "encoding/json"

// PostCallBody returns a minimal post_call_transcription body for the agent
// with externalAgentID: one transcript turn, a duration and a cost.
func PostCallBody(externalAgentID, conversationID string, ts int64, durationSecs int) []byte {
	b, _ := json.Marshal(map[string]any{
		"type":            PostCallType,
		"event_timestamp": ts,
		"data": map[string]any{
			"agent_id":        externalAgentID,
			"conversation_id": conversationID,
			"status":          "done",
			"transcript":      []map[string]any{{"role": "agent", "message": "hi", "time_in_call_secs": 0}},
			"metadata":        map[string]any{"call_duration_secs": durationSecs, "cost": 0.12},
			"analysis":        map[string]any{"transcript_summary": "test call"},
		},
	})
	return b
}
