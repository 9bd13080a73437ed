package server

import (
	"encoding/json"
	"math"
	"strings"
	"sync/atomic"
	"time"
)

// Limits on call-log fields, checked by CallLog.Validate.
const (
	MaxCallLogShortText  = 200          // platform, external call id, conversation id, phone number, status
	MaxCallLogText       = 20_000       // summary, audio url
	MaxCallLogTranscript = 1 << 20      // transcript JSON bytes
	MaxCallLogCost       = 999_999.9999 // numeric(10,4)
)

// Validate applies defaults to l (Platform, Transcript "[]", CreatedAt now,
// truncated to microseconds as Postgres stores it; Cost rounded to four
// decimals) and checks its fields, answering EINVALID naming the first bad
// one. OrganizationID and AgentID must be UUIDs; ConversationID is required;
// text fields must be UTF-8 without NUL and the transcript JSON without
// \u0000 (see StorableText and StorableJSON).
// Every store's InsertCallLogs accepts a log that passed Validate, so a
// batch writer can reject a bad row alone before it could fail a batch.
func (l *CallLog) Validate() error {
	callLogValidations.Add(1)
	l.validated = false
	if err := l.validate(); err != nil {
		return err
	}
	l.validated = true
	return nil
}

// ValidateOnce is Validate for a log that may already have passed it: the
// layers a webhook's log crosses (use case, group commit, store) each
// guarantee a valid log, and the first one to check it spares the others
// the work (a transcript of up to 1 MiB is scanned twice per check). A
// field changed after a passing Validate is not checked again: call
// Validate after changing a log.
func (l *CallLog) ValidateOnce() error {
	if l.validated {
		return nil
	}
	return l.Validate()
}

// callLogValidations counts Validate runs in this process.
var callLogValidations atomic.Uint64

// CallLogValidations answers how many times CallLog.Validate has run in this
// process: tests use it to prove a webhook's log is checked once.
func CallLogValidations() uint64 { return callLogValidations.Load() }

func (l *CallLog) validate() error {
	if l.Platform == "" {
		l.Platform = DefaultAgentPlatform
	}
	if len(l.Transcript) == 0 || string(l.Transcript) == "null" {
		l.Transcript = json.RawMessage("[]")
	}
	if l.CreatedAt.IsZero() {
		l.CreatedAt = time.Now()
	}
	l.CreatedAt = l.CreatedAt.Truncate(time.Microsecond)
	l.Cost = math.Round(l.Cost*1e4) / 1e4
	l.OrganizationID = strings.ToLower(l.OrganizationID)
	l.AgentID = strings.ToLower(l.AgentID)
	switch {
	case !IsUUID(l.OrganizationID):
		return Errorf(EINVALID, "organizationId must be a UUID")
	case !IsUUID(l.AgentID):
		return Errorf(EINVALID, "agentId must be a UUID")
	case l.ConversationID == "":
		return Errorf(EINVALID, "conversationId is required")
	case len(l.Platform) > MaxCallLogShortText, len(l.ExternalCallID) > MaxCallLogShortText,
		len(l.ConversationID) > MaxCallLogShortText, len(l.PhoneNumber) > MaxCallLogShortText,
		len(l.Status) > MaxCallLogShortText:
		return Errorf(EINVALID, "platform, externalCallId, conversationId, phoneNumber and status are limited to %d bytes", MaxCallLogShortText)
	case len(l.Summary) > MaxCallLogText, len(l.AudioURL) > MaxCallLogText:
		return Errorf(EINVALID, "summary and audioUrl are limited to %d bytes", MaxCallLogText)
	case l.Duration < 0 || l.Duration > math.MaxInt32:
		return Errorf(EINVALID, "duration must be between 0 and %d seconds", math.MaxInt32)
	case l.Cost < 0 || l.Cost > MaxCallLogCost || math.IsNaN(l.Cost):
		return Errorf(EINVALID, "cost must be between 0 and %v", MaxCallLogCost)
	case len(l.Transcript) > MaxCallLogTranscript:
		return Errorf(EINVALID, "transcript is larger than %d bytes", MaxCallLogTranscript)
	case !json.Valid(l.Transcript):
		return Errorf(EINVALID, "transcript must be JSON")
	case !StorableJSON(l.Transcript):
		return Errorf(EINVALID, "transcript must be UTF-8 JSON without NUL characters (\\u0000) or unpaired surrogate escapes")
	}
	return checkText(textField{"platform", l.Platform}, textField{"externalCallId", l.ExternalCallID},
		textField{"conversationId", l.ConversationID}, textField{"phoneNumber", l.PhoneNumber},
		textField{"status", l.Status}, textField{"summary", l.Summary}, textField{"audioUrl", l.AudioURL})
}

// IsUUID reports whether s is a UUID in its canonical textual form
// (8-4-4-4-12 hexadecimal digits, either case).
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
