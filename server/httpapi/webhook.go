package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/bytedance/sonic"
	"github.com/bytedance/sonic/ast"
	"github.com/cloudwego/hertz/pkg/app"

	"github.com/echosenseix/echosenseix/internal/webhook"
	"github.com/echosenseix/echosenseix/server"
	usecase "github.com/echosenseix/echosenseix/server/app"
)

// SignatureHeader carries the voice platform's webhook signature (see
// internal/webhook for the format).
const SignatureHeader = webhook.Header

// PostCallType is the only webhook event type stored; others are ignored.
const PostCallType = webhook.PostCallType

var (
	errNoSignature    = server.Errorf(server.EUNAUTHORIZED, "missing or malformed "+SignatureHeader+" header")
	errBadSignature   = server.Errorf(server.EUNAUTHORIZED, "signature does not match")
	errStaleSignature = server.Errorf(server.EUNAUTHORIZED, "signature timestamp is too far from now")
	ignoredBody       = []byte(`{"status":"ignored"}`)
)

// postCallEvent is the part of the post-call webhook the API reads; other
// fields are ignored.
type postCallEvent struct {
	Type           string        `json:"type"`
	EventTimestamp *int64        `json:"event_timestamp"`
	Data           *postCallData `json:"data"`
}

type postCallData struct {
	AgentID        string          `json:"agent_id"`
	ConversationID string          `json:"conversation_id"`
	Status         string          `json:"status"`
	Transcript     json.RawMessage `json:"transcript"`
	Metadata       *struct {
		CallDurationSecs *float64 `json:"call_duration_secs"`
		Cost             *float64 `json:"cost"`
		PhoneCall        *struct {
			ExternalNumber string `json:"external_number"`
			CallSID        string `json:"call_sid"`
		} `json:"phone_call"`
	} `json:"metadata"`
	Analysis *struct {
		TranscriptSummary string `json:"transcript_summary"`
	} `json:"analysis"`
}

// handleWebhook: POST /api/webhooks/elevenlabs/post-call (and alias).
// Order: signature header and timestamp (401), agent_id read without a full
// parse (400), agent lookup, HMAC over the raw body (401), event type (200
// ignored), full decode and validation (400), group-commit ingest. An
// unknown agent gets the same HMAC work and the same 401 as a bad
// signature: an unsigned caller learns nothing about which agents exist.
func (s *Server) handleWebhook(ctx context.Context, c *app.RequestContext) {
	body := c.Request.Body()
	sig, err := parseSignature(c.Request.Header.Peek(SignatureHeader))
	if err == nil && !sig.Fresh(time.Now(), s.cfg.WebhookTolerance) {
		err = errStaleSignature
	}
	if err != nil {
		s.writeError(ctx, c, err)
		return
	}
	extID, err := webhookAgentID(body)
	if err != nil {
		s.writeError(ctx, c, err)
		return
	}
	wa, err := s.app.WebhookAgent(ctx, extID)
	if errors.Is(err, usecase.ErrUnknownAgent) {
		sig.Valid(s.decoySecret, body)
		err = errBadSignature
	}
	if err != nil {
		s.writeError(ctx, c, err)
		return
	}
	if !sig.Valid(wa.Secret, body) {
		s.writeError(ctx, c, errBadSignature)
		return
	}
	var ev postCallEvent
	if err := decodeJSON(body, &ev, false, s.cfg.MaxJSONDepth); err != nil {
		s.writeError(ctx, c, err)
		return
	}
	if ev.Type != PostCallType {
		writeJSONBytes(c, 200, ignoredBody)
		return
	}
	l, err := ev.callLog(wa)
	if err != nil {
		s.writeError(ctx, c, err)
		return
	}
	res, err := s.app.IngestCall(ctx, l)
	if err != nil {
		s.writeError(ctx, c, err)
		return
	}
	b := make([]byte, 0, 64)
	b = append(b, `{"id":`...)
	b = appendJSONString(b, res.ID)
	b = append(b, `,"created":`...)
	b = strconv.AppendBool(b, res.Created)
	writeJSONBytes(c, 200, append(b, '}'))
}

// parseSignature is webhook.Parse with the API's coded 401.
func parseSignature(h []byte) (webhook.Signature, error) {
	sig, err := webhook.Parse(h)
	if err != nil {
		return sig, errNoSignature
	}
	return sig, nil
}

// Sign returns the SignatureHeader value for body at time t: for tests.
func Sign(secret, body []byte, t time.Time) string { return webhook.Sign(secret, body, t) }

// webhookAgentID reads data.agent_id without decoding the whole body.
func webhookAgentID(body []byte) (string, error) {
	n, err := sonic.Get(body, "data", "agent_id")
	if err != nil || n.TypeSafe() != ast.V_STRING {
		if len(bytes.TrimSpace(body)) == 0 || !sonic.Valid(body) {
			return "", invalidf("malformed JSON body")
		}
		return "", invalidf("field \"data.agent_id\" is required and must be a string")
	}
	id, err := n.String()
	if err != nil || id == "" {
		return "", invalidf("field \"data.agent_id\" is required and must be a string")
	}
	return id, nil
}

// callLog turns the event into a CallLog of wa's organization (the use case
// validates it).
func (ev *postCallEvent) callLog(wa usecase.WebhookAgent) (*server.CallLog, error) {
	d := ev.Data
	switch {
	case d == nil:
		return nil, invalidf("field \"data\" is required")
	case d.ConversationID == "":
		return nil, invalidf("field \"data.conversation_id\" is required")
	case d.Metadata == nil:
		return nil, invalidf("field \"data.metadata\" is required")
	case d.Metadata.CallDurationSecs == nil:
		return nil, invalidf("field \"data.metadata.call_duration_secs\" is required")
	case *d.Metadata.CallDurationSecs < 0 || math.IsNaN(*d.Metadata.CallDurationSecs) || *d.Metadata.CallDurationSecs > math.MaxInt32:
		return nil, invalidf("field \"data.metadata.call_duration_secs\" must be between 0 and %d", math.MaxInt32)
	case d.Metadata.Cost != nil && *d.Metadata.Cost < 0:
		return nil, invalidf("field \"data.metadata.cost\" must not be negative")
	case len(d.Transcript) > 0 && d.Transcript[0] != '[' && string(d.Transcript) != "null":
		return nil, invalidf("field \"data.transcript\" must be an array")
	}
	l := &server.CallLog{OrganizationID: wa.OrgID, AgentID: wa.AgentID, Platform: server.DefaultAgentPlatform,
		ConversationID: d.ConversationID, Status: d.Status, Transcript: d.Transcript,
		Duration: int(math.Round(*d.Metadata.CallDurationSecs))}
	if l.Status == "" {
		l.Status = "done"
	}
	if d.Metadata.Cost != nil {
		l.Cost = *d.Metadata.Cost
	}
	if pc := d.Metadata.PhoneCall; pc != nil {
		l.PhoneNumber, l.ExternalCallID = pc.ExternalNumber, pc.CallSID
	}
	if d.Analysis != nil {
		l.Summary = d.Analysis.TranscriptSummary
	}
	return l, nil
}
