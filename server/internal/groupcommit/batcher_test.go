package groupcommit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// fakeInserter records every batch; while gate is non-nil each call waits
// for a value on it first. fail, when it returns true for a batch, makes
// that call fail.
type fakeInserter struct {
	mu      sync.Mutex
	batches [][]string // conversation ids per call
	started chan int   // receives len(batch) as each call starts (if non-nil)
	gate    chan struct{}
	fail    func(convs []string) bool
	failErr error // the error of a failing call; default "injected failure"
}

func (f *fakeInserter) InsertCallLogs(ctx context.Context, logs []*server.CallLog) ([]server.IngestResult, error) {
	convs := make([]string, len(logs))
	for i, l := range logs {
		convs[i] = l.ConversationID
	}
	f.mu.Lock()
	f.batches = append(f.batches, convs)
	gate, fail := f.gate, f.fail
	f.mu.Unlock()
	if f.started != nil {
		f.started <- len(logs)
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if fail != nil && fail(convs) {
		if f.failErr != nil {
			return nil, f.failErr
		}
		return nil, errors.New("injected failure")
	}
	res := make([]server.IngestResult, len(logs))
	for i, l := range logs {
		res[i] = server.IngestResult{ID: "id-" + l.ConversationID, Created: true}
	}
	return res, nil
}

func (f *fakeInserter) calls() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]string(nil), f.batches...)
}

const orgID, agentID = "00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"

func newLog(conv string) *server.CallLog {
	return &server.CallLog{OrganizationID: orgID, AgentID: agentID, ConversationID: conv, Duration: 1}
}

func tctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// waitFor polls cond until it holds or 5 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

type answer struct {
	conv string
	res  server.IngestResult
	err  error
}

// ingestAll starts one Ingest per conversation and returns their answers'
// channel.
func ingestAll(t *testing.T, b *Batcher, convs []string) chan answer {
	out := make(chan answer, len(convs))
	for _, c := range convs {
		go func(c string) {
			res, err := b.Ingest(tctx(t), newLog(c))
			out <- answer{c, res, err}
		}(c)
	}
	return out
}

func convs(prefix string, n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	return s
}

// blockFirst starts one Ingest that the fake holds in flight, and returns
// its answer channel.
func blockFirst(t *testing.T, b *Batcher, f *fakeInserter) chan answer {
	t.Helper()
	first := ingestAll(t, b, []string{"first"})
	waitFor(t, "the first flush", func() bool { return len(f.calls()) == 1 })
	return first
}

func TestCoalescing(t *testing.T) {
	f := &fakeInserter{gate: make(chan struct{})}
	b := New(f, Config{MaxBatch: 100, MaxInFlight: 1, MaxWait: time.Hour})
	defer b.Close(context.Background())
	first := blockFirst(t, b, f)
	answers := ingestAll(t, b, convs("c", 50))
	waitFor(t, "50 requests collected", func() bool { return b.collected.Load() == 51 })
	close(f.gate) // let every flush through
	if a := <-first; a.err != nil || a.res.ID != "id-first" {
		t.Fatalf("first = %+v; want id-first", a)
	}
	for i := 0; i < 50; i++ {
		a := <-answers
		if a.err != nil || a.res.ID != "id-"+a.conv || !a.res.Created {
			t.Errorf("Ingest(%s) = %+v, %v; want its own id", a.conv, a.res, a.err)
		}
	}
	calls := f.calls()
	if len(calls) != 2 || len(calls[1]) != 50 {
		t.Errorf("inserter saw batches of %v; want [1 50]", sizes(calls))
	}
}

func sizes(calls [][]string) []int {
	s := make([]int, len(calls))
	for i, c := range calls {
		s[i] = len(c)
	}
	return s
}

func TestFlushFailureFailsExactlyItsRequests(t *testing.T) {
	f := &fakeInserter{gate: make(chan struct{}, 100)}
	f.fail = func(convs []string) bool { return contains(convs, "bad-0") }
	b := New(f, Config{MaxBatch: 20, MaxInFlight: 1, MaxWait: time.Hour})
	defer b.Close(context.Background())
	first := blockFirst(t, b, f)
	bad := ingestAll(t, b, convs("bad", 20)) // exactly one batch of 20
	waitFor(t, "the bad batch to be collected", func() bool { return b.collected.Load() == 21 })
	f.gate <- struct{}{} // first flush succeeds
	if a := <-first; a.err != nil {
		t.Fatalf("first = %v; want nil", a.err)
	}
	f.gate <- struct{}{}
	for i := 0; i < 20; i++ {
		a := <-bad
		if server.ErrorCode(a.err) != server.EUNAVAILABLE {
			t.Errorf("Ingest(%s) = %v; want EUNAVAILABLE", a.conv, a.err)
		}
	}
	close(f.gate)
	good := ingestAll(t, b, convs("good", 10))
	for i := 0; i < 10; i++ {
		if a := <-good; a.err != nil {
			t.Errorf("Ingest(%s) after a failed flush = %v; want nil", a.conv, a.err)
		}
	}
	if got := errCount(b); got != 1 {
		t.Errorf("ingest_flush_errors_total = %v; want 1", got)
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestCancelledRequestIsNotFlushed(t *testing.T) {
	f := &fakeInserter{gate: make(chan struct{})}
	b := New(f, Config{MaxBatch: 10, MaxInFlight: 1, MaxWait: time.Hour})
	defer b.Close(context.Background())
	first := blockFirst(t, b, f)
	// Fill the collector's batch so the next request stays in the queue.
	queued := ingestAll(t, b, convs("q", 10))
	waitFor(t, "a full batch", func() bool { return b.collected.Load() == 11 })
	ctx, cancel := context.WithCancel(context.Background())
	gone := make(chan error, 1)
	go func() {
		_, err := b.Ingest(ctx, newLog("gone"))
		gone <- err
	}()
	waitFor(t, "the request to queue", func() bool { return len(b.queue) == 1 })
	cancel()
	select {
	case err := <-gone:
		if !errors.Is(err, context.Canceled) || server.ErrorCode(err) != server.EUNAVAILABLE {
			t.Errorf("cancelled Ingest = %v; want EUNAVAILABLE wrapping context.Canceled", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("cancelled Ingest did not return")
	}
	close(f.gate)
	<-first
	for i := 0; i < 10; i++ {
		<-queued
	}
	last := ingestAll(t, b, []string{"after"})
	<-last
	for _, c := range f.calls() {
		if contains(c, "gone") {
			t.Errorf("the cancelled request was flushed: %v", c)
		}
	}
}

func TestCloseDrains(t *testing.T) {
	f := &fakeInserter{gate: make(chan struct{})}
	b := New(f, Config{MaxBatch: 8, MaxInFlight: 1, MaxWait: time.Hour})
	first := blockFirst(t, b, f)
	answers := ingestAll(t, b, convs("d", 30))
	waitFor(t, "30 requests queued", func() bool { return b.collected.Load() == 9 && len(b.queue) == 22 })
	closed := make(chan error, 1)
	go func() { closed <- b.Close(tctx(t)) }()
	waitFor(t, "Close to start", func() bool { b.mu.RLock(); defer b.mu.RUnlock(); return b.closed })
	if _, err := b.Ingest(context.Background(), newLog("late")); server.ErrorCode(err) != server.EUNAVAILABLE {
		t.Errorf("Ingest after Close = %v; want EUNAVAILABLE", err)
	}
	close(f.gate)
	if err := <-closed; err != nil {
		t.Fatalf("Close() = %v; want nil", err)
	}
	stored := map[string]bool{}
	for _, c := range f.calls() {
		for _, conv := range c {
			stored[conv] = true
		}
	}
	for _, c := range convs("d", 30) {
		if !stored[c] {
			t.Errorf("%s was not flushed when Close returned", c)
		}
	}
	<-first
	for i := 0; i < 30; i++ {
		if a := <-answers; a.err != nil {
			t.Errorf("Ingest(%s) = %v; want stored by Close", a.conv, a.err)
		}
	}
	for _, c := range f.calls() {
		if contains(c, "late") {
			t.Errorf("an ingest after Close was stored")
		}
	}
}

func TestShedsBeyondMaxPending(t *testing.T) {
	f := &fakeInserter{gate: make(chan struct{})}
	b := New(f, Config{MaxBatch: 5, MaxInFlight: 1, MaxPending: 10, MaxWait: time.Hour})
	defer b.Close(context.Background())
	first := blockFirst(t, b, f)
	answers := ingestAll(t, b, convs("s", 100))
	shed := 0
	for i := 0; i < 100-15; i++ { // at most 5 in the batch and 10 queued can wait
		select {
		case a := <-answers:
			if server.ErrorCode(a.err) != server.EUNAVAILABLE {
				t.Fatalf("Ingest(%s) = %v; want EUNAVAILABLE (shed)", a.conv, a.err)
			}
			shed++
		case <-time.After(5 * time.Second):
			t.Fatalf("only %d requests shed; want at least 85 answered at once", shed)
		}
	}
	close(f.gate)
	<-first
	for i := 0; i < 15; i++ {
		<-answers
	}
}

func TestDisabledInsertsOnePerRequest(t *testing.T) {
	f := &fakeInserter{}
	b := New(f, Config{Disabled: true})
	answers := ingestAll(t, b, convs("x", 20))
	for i := 0; i < 20; i++ {
		if a := <-answers; a.err != nil || a.res.ID != "id-"+a.conv {
			t.Errorf("Ingest(%s) = %+v, %v", a.conv, a.res, a.err)
		}
	}
	if err := b.Close(tctx(t)); err != nil {
		t.Fatal(err)
	}
	if s := sizes(f.calls()); len(s) != 20 {
		t.Errorf("batches %v; want 20 batches of 1", s)
	}
}

func TestInvalidLogIsRejectedAlone(t *testing.T) {
	f := &fakeInserter{}
	b := New(f, Config{})
	defer b.Close(context.Background())
	_, err := b.Ingest(tctx(t), &server.CallLog{OrganizationID: orgID, AgentID: agentID})
	if server.ErrorCode(err) != server.EINVALID {
		t.Errorf("Ingest(no conversation) = %v; want EINVALID", err)
	}
	if len(f.calls()) != 0 {
		t.Errorf("an invalid log reached the inserter")
	}
}

// TestAdaptiveFlushesLoneRequestAtOnce: an idle batcher does not wait
// MaxWait for company; with AlwaysWait it does.
func TestAdaptiveFlushesLoneRequestAtOnce(t *testing.T) {
	const wait = 300 * time.Millisecond
	for _, tt := range []struct {
		always   bool
		min, max time.Duration
	}{{false, 0, wait / 2}, {true, wait, 5 * time.Second}} {
		f := &fakeInserter{}
		b := New(f, Config{MaxWait: wait, AlwaysWait: tt.always})
		start := time.Now()
		if _, err := b.Ingest(tctx(t), newLog("lone")); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took < tt.min || took > tt.max {
			t.Errorf("AlwaysWait=%v: lone request took %v; want between %v and %v", tt.always, took, tt.min, tt.max)
		}
		_ = b.Close(context.Background())
	}
}

func errCount(b *Batcher) float64 {
	var m dtoMetric
	_ = b.m.flushErrors.Write(&m.Metric)
	return m.Metric.GetCounter().GetValue()
}
