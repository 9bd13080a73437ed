package server_test

import (
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

func TestCallLogCursorRoundTrip(t *testing.T) {
	c := server.CallLogCursor{CreatedAt: time.UnixMicro(1_700_000_000_123_456), ID: "0190a0b0-c0d0-7e00-8000-000000000001"}
	got, err := server.DecodeCallLogCursor(c.Encode())
	if err != nil || !got.CreatedAt.Equal(c.CreatedAt) || got.ID != c.ID {
		t.Errorf("DecodeCallLogCursor(Encode(%+v)) = %+v, %v; want the same cursor", c, got, err)
	}
	for _, bad := range []string{"", "!!", "Zm9v", "MTIzLG5vdC1hLXV1aWQ"} {
		if _, err := server.DecodeCallLogCursor(bad); server.ErrorCode(err) != server.EINVALID {
			t.Errorf("DecodeCallLogCursor(%q) = %v; want EINVALID", bad, err)
		}
	}
}

func TestCallLogQueryBounds(t *testing.T) {
	tests := []struct {
		q           server.CallLogQuery
		limit, page int
	}{
		{server.CallLogQuery{}, server.DefaultCallLogPageSize, 1},
		{server.CallLogQuery{Limit: -3, Page: -1}, server.DefaultCallLogPageSize, 1},
		{server.CallLogQuery{Limit: 500, Page: 4}, server.MaxCallLogPageSize, 4},
		{server.CallLogQuery{Limit: 5, Page: 4, Cursor: "x"}, 5, 0},
	}
	for _, tt := range tests {
		if limit, page := tt.q.Bounds(); limit != tt.limit || page != tt.page {
			t.Errorf("%+v.Bounds() = %d, %d; want %d, %d", tt.q, limit, page, tt.limit, tt.page)
		}
	}
}

func TestCallLogValidate(t *testing.T) {
	const id = "0190A0B0-C0D0-7E00-8000-000000000001"
	l := &server.CallLog{OrganizationID: id, AgentID: id, ConversationID: "c", Cost: 0.123456}
	if err := l.Validate(); err != nil {
		t.Fatalf("Validate() = %v; want nil", err)
	}
	if l.Platform != server.DefaultAgentPlatform || string(l.Transcript) != "[]" || l.CreatedAt.IsZero() ||
		l.Cost != 0.1235 || l.OrganizationID != "0190a0b0-c0d0-7e00-8000-000000000001" || l.CreatedAt.Nanosecond()%1000 != 0 {
		t.Errorf("defaults not applied: %+v", l)
	}
	bad := []server.CallLog{
		{OrganizationID: id, AgentID: id},
		{OrganizationID: "x", AgentID: id, ConversationID: "c"},
		{OrganizationID: id, AgentID: "", ConversationID: "c"},
		{OrganizationID: id, AgentID: id, ConversationID: "c", Duration: -1},
		{OrganizationID: id, AgentID: id, ConversationID: "c", Cost: -0.5},
		{OrganizationID: id, AgentID: id, ConversationID: "c", Cost: 1e7},
		{OrganizationID: id, AgentID: id, ConversationID: "c", Transcript: []byte("{")},
	}
	for _, b := range bad {
		if err := b.Validate(); server.ErrorCode(err) != server.EINVALID {
			t.Errorf("Validate(%+v) = %v; want EINVALID", b, err)
		}
	}
}
