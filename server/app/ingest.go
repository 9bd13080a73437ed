package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// PublishTimeout bounds the bus publish after a call lands.
const PublishTimeout = 2 * time.Second

// callCompletedData is the Data of a call_completed event.
type callCompletedData struct {
	CallLogID      string  `json:"callLogId"`
	AgentID        string  `json:"agentId"`
	ConversationID string  `json:"conversationId"`
	Duration       int     `json:"duration"`
	Cost           float64 `json:"cost"`
	Status         string  `json:"status"`
}

// IngestCall stores a finished call: it validates l (the one full check of
// a webhook's log: group commit and the store skip a log that passed it),
// hands it to group commit and, when the call is new, drops the keys
// OpIngestCall names, makes this process's first call-log pages stale and
// publishes call_completed. A duplicate delivery answers the stored id with
// Created false and changes nothing.
func (s *Service) IngestCall(ctx context.Context, l *server.CallLog) (server.IngestResult, error) {
	if err := l.Validate(); err != nil {
		return server.IngestResult{}, err
	}
	res, err := s.d.Ingester.Ingest(ctx, l)
	if err != nil {
		return server.IngestResult{}, err
	}
	if res.Created {
		s.callLanded(ctx, l, res.ID)
	}
	return res, nil
}

// callLanded invalidates the organization's analytics and first call-log
// pages and publishes call_completed; failures are logged and counted,
// never returned.
func (s *Service) callLanded(ctx context.Context, l *server.CallLog, id string) {
	s.pages.bump(l.OrganizationID)
	s.drop(ctx, OpIngestCall, Target{Org: l.OrganizationID, Agent: l.AgentID})
	data, err := jsonAPI.Marshal(callCompletedData{CallLogID: id, AgentID: l.AgentID, ConversationID: l.ConversationID,
		Duration: l.Duration, Cost: l.Cost, Status: l.Status})
	if err == nil {
		pctx, cancel := context.WithTimeout(ctx, PublishTimeout)
		err = s.d.Bus.Publish(pctx, server.Event{Type: server.EventCallCompleted, OrganizationID: l.OrganizationID,
			Data: data, Timestamp: time.Now().UTC()})
		cancel()
	}
	if err != nil {
		s.publishFailures.Add(1)
		s.log.LogAttrs(ctx, slog.LevelWarn, "cannot publish call_completed", slog.String("org", l.OrganizationID), slog.Any("err", err))
	}
}
