package app_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/storetest"
)

// TestIngestValidatesOnce counts CallLog.Validate runs across the whole
// ingest path (use case, group commit, store): one per new call, where the
// log used to be checked three times.
func TestIngestValidatesOnce(t *testing.T) {
	e := newEnv(t)
	for i, conv := range []string{"conv-a", "conv-b", "conv-a"} {
		before := server.CallLogValidations()
		if _, err := e.svc.IngestCall(tctx(t), storetest.NewCallLog(e.agent, conv, 30, 0.5, time.Now())); err != nil {
			t.Fatalf("IngestCall(%s) = %v; want nil", conv, err)
		}
		if got := server.CallLogValidations() - before; got != 1 {
			t.Errorf("call #%d (%s): Validate ran %d times; want 1", i, conv, got)
		}
	}
}

// TestIngestRefusesInvalidAlone: a bad log answers EINVALID before group
// commit, stores nothing and publishes nothing.
func TestIngestRefusesInvalidAlone(t *testing.T) {
	e := newEnv(t)
	l := storetest.NewCallLog(e.agent, "conv-bad", 30, 0.5, time.Now())
	l.Transcript = json.RawMessage(`{"not":"an array"`)
	if _, err := e.svc.IngestCall(tctx(t), l); server.ErrorCode(err) != server.EINVALID {
		t.Fatalf("IngestCall(bad transcript) = %v; want EINVALID", err)
	}
	if got := e.cache.take(); len(got) != 0 {
		t.Errorf("a refused call dropped %q; want none", got)
	}
	if got := len(e.bus.published()); got != 0 {
		t.Errorf("a refused call published %d events; want 0", got)
	}
}

// TestIngestPublishesCallCompleted: a new call publishes one call_completed
// event of its organization naming the stored id.
func TestIngestPublishesCallCompleted(t *testing.T) {
	e := newEnv(t)
	res, err := e.svc.IngestCall(tctx(t), storetest.NewCallLog(e.agent, "conv-pub", 42, 1.25, time.Now()))
	if err != nil {
		t.Fatalf("IngestCall = %v; want nil", err)
	}
	evs := e.bus.published()
	if len(evs) != 1 || evs[0].Type != server.EventCallCompleted || evs[0].OrganizationID != e.org.ID {
		t.Fatalf("published %+v; want one call_completed of %s", evs, e.org.ID)
	}
	var data struct {
		CallLogID string `json:"callLogId"`
		Duration  int    `json:"duration"`
	}
	if err := json.Unmarshal(evs[0].Data, &data); err != nil || data.CallLogID != res.ID || data.Duration != 42 {
		t.Errorf("event data %s (%v); want callLogId %s, duration 42", evs[0].Data, err, res.ID)
	}
}
