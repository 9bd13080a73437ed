package groupcommit_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/internal/groupcommit"
	"github.com/echosenseix/echosenseix/server/postgres"
	"github.com/echosenseix/echosenseix/server/storetest"
)

func TestMain(m *testing.M) { stack.Main(m) }

// countingInserter counts InsertCallLogs calls and can fail one call.
type countingInserter struct {
	next   groupcommit.Inserter
	calls  atomic.Int64
	failAt int64 // 1-based call number to fail once; 0 never
	mu     sync.Mutex
	failed []string // conversations of the failed call
}

func (c *countingInserter) InsertCallLogs(ctx context.Context, logs []*server.CallLog) ([]server.IngestResult, error) {
	n := c.calls.Add(1)
	if n == c.failAt {
		c.mu.Lock()
		for _, l := range logs {
			c.failed = append(c.failed, l.ConversationID)
		}
		c.mu.Unlock()
		return nil, errors.New("injected flush failure")
	}
	return c.next.InsertCallLogs(ctx, logs)
}

type fixture struct {
	db    *postgres.DB
	store *postgres.Store
	agent *server.Agent
}

func newFixture(tb testing.TB, maxConns int32) fixture {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := postgres.Open(ctx, postgres.Config{URL: stack.Postgres(tb), MaxConns: maxConns, MinConns: -1})
	if err != nil {
		tb.Fatalf("Open() = %v", err)
	}
	tb.Cleanup(db.Close)
	if err := db.Migrate(ctx); err != nil {
		tb.Fatalf("Migrate() = %v", err)
	}
	s := db.Store()
	stores := storetest.Stores{Orgs: s, Users: s, Agents: s, Lookup: s, CallLogs: s, Documents: s}
	org := storetest.MustOrganization(tb, stores, "Acme")
	return fixture{db: db, store: s, agent: storetest.MustAgent(tb, stores, org.ID, "A")}
}

func (f fixture) count(tb testing.TB) (rows, counted int64) {
	tb.Helper()
	ctx := context.Background()
	if err := f.db.Pool().QueryRow(ctx, "SELECT count(*) FROM call_logs").Scan(&rows); err != nil {
		tb.Fatal(err)
	}
	if err := f.db.Pool().QueryRow(ctx, "SELECT coalesce(sum(calls), 0) FROM call_stats").Scan(&counted); err != nil {
		tb.Fatal(err)
	}
	return rows, counted
}

type result struct {
	conv string
	res  server.IngestResult
	err  error
}

func ingestConcurrently(b *groupcommit.Batcher, agent *server.Agent, convs []string) []result {
	out := make([]result, len(convs))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, c := range convs {
		wg.Add(1)
		go func(i int, c string) {
			defer wg.Done()
			<-start
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, err := b.Ingest(ctx, storetest.NewCallLog(agent, c, 60, 0.25, time.Now()))
			out[i] = result{c, res, err}
		}(i, c)
	}
	close(start)
	wg.Wait()
	return out
}

func distinct(n int, prefix string) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	return s
}

func TestPostgresThousandConcurrentIngests(t *testing.T) {
	f := newFixture(t, 8)
	ins := &countingInserter{next: f.store}
	b := groupcommit.New(ins, groupcommit.Config{})
	defer b.Close(context.Background())
	results := ingestConcurrently(b, f.agent, distinct(1000, "conv"))
	ids := map[string]bool{}
	for _, r := range results {
		if r.err != nil || !r.res.Created || ids[r.res.ID] {
			t.Fatalf("Ingest(%s) = %+v, %v; want a new distinct id", r.conv, r.res, r.err)
		}
		ids[r.res.ID] = true
	}
	if rows, counted := f.count(t); rows != 1000 || counted != 1000 {
		t.Errorf("call_logs has %d rows, call_stats counts %d; want 1000 and 1000", rows, counted)
	}
	if calls := ins.calls.Load(); calls > 100 {
		t.Errorf("InsertCallLogs called %d times for 1000 ingests; want far fewer (<= 100)", calls)
	} else {
		t.Logf("1000 ingests in %d InsertCallLogs calls", calls)
	}
}

func TestPostgresThousandDeliveriesOfOneConversation(t *testing.T) {
	f := newFixture(t, 8)
	b := groupcommit.New(f.store, groupcommit.Config{})
	defer b.Close(context.Background())
	convs := make([]string, 1000)
	for i := range convs {
		convs[i] = "the-same-call"
	}
	results := ingestConcurrently(b, f.agent, convs)
	created := 0
	for _, r := range results {
		if r.err != nil || r.res.ID != results[0].res.ID {
			t.Fatalf("Ingest = %+v, %v; want id %s", r.res, r.err, results[0].res.ID)
		}
		if r.res.Created {
			created++
		}
	}
	if created != 1 {
		t.Errorf("%d results say Created; want exactly 1", created)
	}
	if rows, counted := f.count(t); rows != 1 || counted != 1 {
		t.Errorf("call_logs has %d rows, call_stats counts %d; want 1 and 1", rows, counted)
	}
}

// TestPostgresFlushFailure fails the second flush once: exactly the
// requests it carried answer EUNAVAILABLE, nothing of them is stored, and
// retrying them stores each row once.
func TestPostgresFlushFailure(t *testing.T) {
	f := newFixture(t, 8)
	ins := &countingInserter{next: f.store, failAt: 2}
	b := groupcommit.New(ins, groupcommit.Config{MaxInFlight: 1})
	defer b.Close(context.Background())
	results := ingestConcurrently(b, f.agent, distinct(1000, "conv"))
	var retry []string
	for _, r := range results {
		if r.err != nil {
			if server.ErrorCode(r.err) != server.EUNAVAILABLE {
				t.Fatalf("Ingest(%s) = %v; want EUNAVAILABLE", r.conv, r.err)
			}
			retry = append(retry, r.conv)
		}
	}
	ins.mu.Lock()
	failed := append([]string(nil), ins.failed...)
	ins.mu.Unlock()
	if len(failed) == 0 || len(retry) != len(failed) {
		t.Fatalf("%d requests failed; the failed flush carried %d; want the same, non-zero", len(retry), len(failed))
	}
	carried := map[string]bool{}
	for _, c := range failed {
		carried[c] = true
	}
	for _, c := range retry {
		if !carried[c] {
			t.Errorf("%s failed but was not in the failed flush", c)
		}
	}
	if rows, _ := f.count(t); rows != int64(1000-len(failed)) {
		t.Errorf("after the failure call_logs has %d rows; want %d", rows, 1000-len(failed))
	}
	// Retry everything (the platform redelivers): each row is stored once.
	again := ingestConcurrently(b, f.agent, distinct(1000, "conv"))
	created := 0
	for _, r := range again {
		if r.err != nil {
			t.Fatalf("retry Ingest(%s) = %v; want nil", r.conv, r.err)
		}
		if r.res.Created {
			created++
		}
	}
	if created != len(failed) {
		t.Errorf("retry created %d rows; want %d (the failed ones)", created, len(failed))
	}
	if rows, counted := f.count(t); rows != 1000 || counted != 1000 {
		t.Errorf("call_logs has %d rows, call_stats counts %d; want 1000 and 1000", rows, counted)
	}
	t.Logf("the failed flush carried %d requests", len(failed))
}
