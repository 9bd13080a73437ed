package postgres

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/storetest"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestPoolExhaustedAnswersUnavailable: with the only connection held, every
// store method answers EUNAVAILABLE within about AcquireTimeout.
func TestPoolExhaustedAnswersUnavailable(t *testing.T) {
	const timeout = 200 * time.Millisecond
	db := MustOpen(t, Config{MaxConns: 1, AcquireTimeout: timeout}, true)
	s := db.Store()
	ctx := context.Background()
	held, err := db.Pool().Acquire(ctx)
	if err != nil {
		t.Fatalf("Acquire() = %v; want nil", err)
	}
	defer held.Release()
	id := "00000000-0000-4000-8000-000000000001"
	calls := map[string]func() error{
		"Organization": func() error { _, err := s.Organization(ctx, id); return err },
		"CreateOrganization": func() error {
			return s.CreateOrganization(ctx, &server.Organization{Name: "x"})
		},
		"UserByEmail": func() error { _, err := s.UserByEmail(ctx, "a@b.c"); return err },
		"Agents":      func() error { _, err := s.Agents(ctx, id); return err },
		"AgentByExternalID": func() error {
			_, err := s.AgentByExternalID(ctx, "ext")
			return err
		},
		"InsertCallLogs": func() error {
			_, err := s.InsertCallLogs(ctx, []*server.CallLog{{OrganizationID: id, AgentID: id, ConversationID: "c"}})
			return err
		},
		"CallLogs":  func() error { _, err := s.CallLogs(ctx, server.CallLogQuery{OrganizationID: id}); return err },
		"Analytics": func() error { _, err := s.Analytics(ctx, id, ""); return err },
		"Document":  func() error { _, err := s.Document(ctx, id, id); return err },
		"Ping":      func() error { return db.Ping(ctx) },
	}
	for name, call := range calls {
		start := time.Now()
		err := call()
		took := time.Since(start)
		if server.ErrorCode(err) != server.EUNAVAILABLE {
			t.Errorf("%s with the pool exhausted = %v; want code %q", name, err, server.EUNAVAILABLE)
		}
		if took < timeout/2 || took > timeout+time.Second {
			t.Errorf("%s answered after %v; want about %v", name, took, timeout)
		}
	}
	held.Release()
	if err := db.Ping(ctx); err != nil {
		t.Errorf("Ping() after release = %v; want nil", err)
	}
}

func TestStatementTimeout(t *testing.T) {
	db := MustOpen(t, Config{StatementTimeout: 100 * time.Millisecond}, false)
	err := db.withConn(context.Background(), "sleep", func(c *pgxpool.Conn) error {
		_, err := c.Exec(context.Background(), "SELECT pg_sleep(2)")
		return err
	})
	if server.ErrorCode(err) != server.EUNAVAILABLE || !strings.Contains(err.Error(), "statement timeout") {
		t.Errorf("slow statement = %v; want EUNAVAILABLE from the statement timeout", err)
	}
}

// TestInsertCallLogsTwoInstances delivers the same conversations through
// two pools at once ("two instances"): one row each, same id for both.
func TestInsertCallLogsTwoInstances(t *testing.T) {
	a := MustOpen(t, Config{}, true)
	b := MustOpen(t, Config{URL: a.Pool().Config().ConnString()}, false)
	sa, sb := a.Store(), b.Store()
	stores := storetest.Stores{Orgs: sa, Users: sa, Agents: sa, Lookup: sa, CallLogs: sa, Documents: sa}
	org := storetest.MustOrganization(t, stores, "Acme")
	agent := storetest.MustAgent(t, stores, org.ID, "A")
	const rounds = 50
	for r := 0; r < rounds; r++ {
		conv := fmt.Sprintf("same-%d", r)
		var wg sync.WaitGroup
		res := make([][]server.IngestResult, 2)
		for i, s := range []*Store{sa, sb} {
			wg.Add(1)
			go func(i int, s *Store) {
				defer wg.Done()
				out, err := s.InsertCallLogs(context.Background(), []*server.CallLog{storetest.NewCallLog(agent, conv, 10, 1, time.Now())})
				if err != nil {
					t.Errorf("instance %d: InsertCallLogs = %v; want nil", i, err)
					return
				}
				res[i] = out
			}(i, s)
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		if res[0][0].ID != res[1][0].ID || res[0][0].Created == res[1][0].Created {
			t.Fatalf("round %d: results %+v and %+v; want one id, exactly one Created", r, res[0], res[1])
		}
	}
	var rows, calls int64
	ctx := context.Background()
	_ = a.Pool().QueryRow(ctx, "SELECT count(*) FROM call_logs").Scan(&rows)
	_ = a.Pool().QueryRow(ctx, "SELECT sum(calls) FROM call_stats").Scan(&calls)
	if rows != rounds || calls != rounds {
		t.Errorf("call_logs has %d rows, call_stats counts %d; want %d and %d", rows, calls, rounds, rounds)
	}
}

func TestCollectors(t *testing.T) {
	db := MustOpen(t, Config{MaxConns: 3}, false)
	if err := db.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(db.Collectors()...)
	n, err := testutil.GatherAndCount(reg)
	if err != nil || n != 10 { // the pool's nine and db_reads_total{pool="primary"}
		t.Errorf("GatherAndCount = %d, %v; want 10 metrics", n, err)
	}
	want := `
# HELP pgxpool_max_conns Pool size limit.
# TYPE pgxpool_max_conns gauge
pgxpool_max_conns{pool="primary"} 3
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "pgxpool_max_conns"); err != nil {
		t.Error(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "pgxpool_acquire_count_total" {
			if v := mf.GetMetric()[0].GetCounter().GetValue(); v < 1 {
				t.Errorf("pgxpool_acquire_count_total = %v; want >= 1", v)
			}
		}
	}
}
