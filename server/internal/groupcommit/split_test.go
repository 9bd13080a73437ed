package groupcommit

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// hasBad reports whether a batch carries a conversation named bad-*.
func hasBad(convs []string) bool {
	for _, c := range convs {
		if strings.HasPrefix(c, "bad-") {
			return true
		}
	}
	return false
}

var errData = server.Errorf(server.EINVALID, "invalid value: invalid byte sequence for encoding \"UTF8\": 0x00")

// TestDataErrorFailsOnlyItsRow: a batch the store refuses as bad data
// (EINVALID) is retried row by row; the bad rows answer EINVALID, the
// others their own ids.
func TestDataErrorFailsOnlyItsRow(t *testing.T) {
	f := &fakeInserter{gate: make(chan struct{}), fail: hasBad, failErr: errData}
	b := New(f, Config{MaxBatch: 20, MaxInFlight: 1, MaxWait: time.Hour})
	defer b.Close(context.Background())
	first := blockFirst(t, b, f)
	answers := ingestAll(t, b, append(convs("good", 18), convs("bad", 2)...)) // one batch of 20
	waitFor(t, "the mixed batch to be collected", func() bool { return b.collected.Load() == 21 })
	close(f.gate)
	if a := <-first; a.err != nil {
		t.Fatalf("first = %v; want nil", a.err)
	}
	for range 20 {
		a := <-answers
		bad := strings.HasPrefix(a.conv, "bad-")
		switch {
		case bad && server.ErrorCode(a.err) != server.EINVALID:
			t.Errorf("Ingest(%s) = %v; want EINVALID", a.conv, a.err)
		case !bad && (a.err != nil || a.res.ID != "id-"+a.conv):
			t.Errorf("Ingest(%s) = %+v, %v; want its own id", a.conv, a.res, a.err)
		}
	}
	if got := sizes(f.calls()); len(got) != 22 || got[1] != 20 || got[2] != 1 {
		t.Errorf("batches %v; want [1 20] then 20 batches of 1", got)
	}
	var m dtoMetric
	_ = b.m.splits.Write(&m.Metric)
	if got := m.Metric.GetCounter().GetValue(); got != 1 {
		t.Errorf("ingest_batch_splits_total = %v; want 1", got)
	}
}

// TestDataErrorKeepsItsCode: a lone row (or the Disabled mode) refused as
// bad data answers EINVALID, not EUNAVAILABLE: retrying would not help.
func TestDataErrorKeepsItsCode(t *testing.T) {
	for _, cfg := range []Config{{}, {Disabled: true}} {
		f := &fakeInserter{fail: hasBad, failErr: errData}
		b := New(f, cfg)
		if _, err := b.Ingest(tctx(t), newLog("bad-1")); server.ErrorCode(err) != server.EINVALID {
			t.Errorf("Disabled=%v: Ingest(bad) = %v; want EINVALID", cfg.Disabled, err)
		}
		if _, err := b.Ingest(tctx(t), newLog("good-1")); err != nil {
			t.Errorf("Disabled=%v: Ingest(good) = %v; want nil", cfg.Disabled, err)
		}
		_ = b.Close(context.Background())
	}
}
