package storetest

import (
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// seedLogs inserts n logs of agent a with created_at spread over few
// distinct instants (so ties on created_at are broken by id), in batches, and
// returns their ids newest first (created_at DESC, id DESC).
func seedLogs(t testing.TB, s Stores, a *server.Agent, prefix string, n int, base time.Time) []string {
	t.Helper()
	type row struct {
		id string
		at time.Time
	}
	var rows []row
	for start := 0; start < n; start += 50 {
		var logs []*server.CallLog
		for i := start; i < n && i < start+50; i++ {
			at := base.Add(-time.Duration(i%7) * time.Second)
			logs = append(logs, NewCallLog(a, fmt.Sprintf("%s-%d", prefix, i), i, 0.01, at))
		}
		res := mustInsert(t, s, logs...)
		for i, r := range res {
			rows = append(rows, row{r.ID, logs[i].CreatedAt})
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		if !rows[i].at.Equal(rows[j].at) {
			return rows[i].at.After(rows[j].at)
		}
		return rows[i].id > rows[j].id
	})
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.id
	}
	return ids
}

// walk follows NextCursor from the first page and returns every id seen.
func walk(t testing.TB, s Stores, q server.CallLogQuery) []string {
	t.Helper()
	return walkWith(t, s, q, func() {})
}

// walkWith is walk calling between after every page.
func walkWith(t testing.TB, s Stores, q server.CallLogQuery, between func()) []string {
	t.Helper()
	var ids []string
	for pages := 0; pages < 1000; pages++ {
		p, err := s.CallLogs.CallLogs(ctx(t), q)
		if err != nil {
			t.Fatalf("CallLogs(%+v) = %v; want nil", q, err)
		}
		if len(p.Data) > q.Limit && q.Limit > 0 {
			t.Fatalf("page has %d rows; want at most %d", len(p.Data), q.Limit)
		}
		for _, l := range p.Data {
			ids = append(ids, l.ID)
		}
		if p.NextCursor == "" {
			return ids
		}
		if len(p.Data) == 0 {
			t.Fatalf("empty page with NextCursor %q", p.NextCursor)
		}
		q.Cursor = p.NextCursor
		between()
	}
	t.Fatal("more than 1000 pages")
	return nil
}

func testCallLogsPagination(t *testing.T, s Stores) {
	o := MustOrganization(t, s, "Acme")
	a := MustAgent(t, s, o.ID, "A")
	want := seedLogs(t, s, a, "p", 53, time.Now())
	for _, limit := range []int{1, 7, 53, 100} {
		got := walk(t, s, server.CallLogQuery{OrganizationID: o.ID, Limit: limit})
		if !equalStrings(got, want) {
			t.Errorf("limit %d: walked %d ids %v; want %d ids %v (created_at DESC, id DESC)", limit, len(got), got, len(want), want)
		}
	}
	p, err := s.CallLogs.CallLogs(ctx(t), server.CallLogQuery{OrganizationID: o.ID, Limit: 10})
	if err != nil {
		t.Fatalf("CallLogs() = %v; want nil", err)
	}
	if p.Total != 53 || p.PageSize != 10 || p.Page != 1 || p.TotalPages != 6 || p.NextCursor == "" {
		t.Errorf("page = total %d, pageSize %d, page %d, totalPages %d, next %q; want 53, 10, 1, 6, non-empty",
			p.Total, p.PageSize, p.Page, p.TotalPages, p.NextCursor)
	}
	for _, cursor := range []string{"garbage!", "Zm9v"} {
		_, err = s.CallLogs.CallLogs(ctx(t), server.CallLogQuery{OrganizationID: o.ID, Cursor: cursor})
		wantCode(t, "CallLogs(cursor "+cursor+")", err, server.EINVALID)
	}
}

func testCallLogsPageAlias(t *testing.T, s Stores) {
	o := MustOrganization(t, s, "Acme")
	a := MustAgent(t, s, o.ID, "A")
	want := seedLogs(t, s, a, "p", 25, time.Now())
	var got []string
	for page := 1; page <= 4; page++ {
		p, err := s.CallLogs.CallLogs(ctx(t), server.CallLogQuery{OrganizationID: o.ID, Limit: 10, Page: page})
		if err != nil {
			t.Fatalf("CallLogs(page %d) = %v; want nil", page, err)
		}
		if p.Page != page || p.TotalPages != 3 || p.Total != 25 {
			t.Errorf("page %d: page %d, totalPages %d, total %d; want %d, 3, 25", page, p.Page, p.TotalPages, p.Total, page)
		}
		for _, l := range p.Data {
			got = append(got, l.ID)
		}
		if page >= 3 && p.NextCursor != "" {
			t.Errorf("page %d: NextCursor %q; want empty on and past the last page", page, p.NextCursor)
		}
	}
	if !equalStrings(got, want) {
		t.Errorf("pages 1..4 = %v; want %v", got, want)
	}
	// A cursor wins over Page.
	p1, _ := s.CallLogs.CallLogs(ctx(t), server.CallLogQuery{OrganizationID: o.ID, Limit: 10})
	p2, err := s.CallLogs.CallLogs(ctx(t), server.CallLogQuery{OrganizationID: o.ID, Limit: 10, Page: 3, Cursor: p1.NextCursor})
	if err != nil || len(p2.Data) != 10 || p2.Data[0].ID != want[10] {
		t.Errorf("cursor with page: %v; want rows 10..19", err)
	}
}

func testCallLogsLimits(t *testing.T, s Stores) {
	o := MustOrganization(t, s, "Acme")
	a := MustAgent(t, s, o.ID, "A")
	seedLogs(t, s, a, "l", 120, time.Now())
	tests := []struct{ limit, want int }{
		{0, server.DefaultCallLogPageSize}, {-5, server.DefaultCallLogPageSize}, {1, 1},
		{100, 100}, {101, server.MaxCallLogPageSize}, {100000, server.MaxCallLogPageSize},
	}
	for _, tt := range tests {
		p, err := s.CallLogs.CallLogs(ctx(t), server.CallLogQuery{OrganizationID: o.ID, Limit: tt.limit})
		if err != nil {
			t.Fatalf("CallLogs(limit %d) = %v; want nil", tt.limit, err)
		}
		if len(p.Data) != tt.want || p.PageSize != tt.want {
			t.Errorf("limit %d: got %d rows, pageSize %d; want %d", tt.limit, len(p.Data), p.PageSize, tt.want)
		}
	}
}

func testCallLogsAgentFilter(t *testing.T, s Stores) {
	o := MustOrganization(t, s, "Acme")
	a := MustAgent(t, s, o.ID, "A")
	b := MustAgent(t, s, o.ID, "B")
	now := time.Now()
	wantA := seedLogs(t, s, a, "a", 12, now)
	wantB := seedLogs(t, s, b, "b", 9, now)
	for _, tt := range []struct {
		agent string
		want  []string
	}{{a.ID, wantA}, {b.ID, wantB}} {
		got := walk(t, s, server.CallLogQuery{OrganizationID: o.ID, AgentID: tt.agent, Limit: 5})
		if !equalStrings(got, tt.want) {
			t.Errorf("agent %s: %v; want %v", tt.agent, got, tt.want)
		}
		p, _ := s.CallLogs.CallLogs(ctx(t), server.CallLogQuery{OrganizationID: o.ID, AgentID: tt.agent})
		if p == nil || p.Total != int64(len(tt.want)) {
			t.Errorf("agent %s: total %d; want %d", tt.agent, total(p), len(tt.want))
		}
	}
	if all := walk(t, s, server.CallLogQuery{OrganizationID: o.ID, Limit: 100}); len(all) != 21 {
		t.Errorf("unfiltered: %d rows; want 21", len(all))
	}
	for _, agent := range []string{missingID, "not-a-uuid"} {
		p, err := s.CallLogs.CallLogs(ctx(t), server.CallLogQuery{OrganizationID: o.ID, AgentID: agent})
		if err != nil || len(p.Data) != 0 || p.Total != 0 {
			t.Errorf("agent %s: %d rows, total %d, %v; want none", agent, lenData(p), total(p), err)
		}
	}
}

// testCallLogsKeysetUnderInserts walks the pages while another goroutine
// keeps inserting (newer and, to be nasty, older rows): every row present
// before the walk appears exactly once, and no id appears twice.
func testCallLogsKeysetUnderInserts(t *testing.T, s Stores) {
	o := MustOrganization(t, s, "Acme")
	a := MustAgent(t, s, o.ID, "A")
	base := time.Now().Add(-time.Hour)
	before := seedLogs(t, s, a, "k", 80, base)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	inserted := 0
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			at := time.Now()
			if i%2 == 1 {
				at = base.Add(-time.Duration(i) * time.Minute) // older than everything: lands in later pages
			}
			if _, err := s.CallLogs.InsertCallLogs(ctx(t), []*server.CallLog{NewCallLog(a, fmt.Sprintf("new-%d", i), 1, 0, at)}); err != nil {
				t.Errorf("concurrent insert = %v; want nil", err)
				return
			}
			inserted++
			if i >= 400 {
				return
			}
		}
	}()
	// Besides the goroutine, insert a newer and an older row between pages,
	// so the walk sees inserts even when the backend is very fast.
	step := 0
	got := walkWith(t, s, server.CallLogQuery{OrganizationID: o.ID, Limit: 6}, func() {
		step++
		mustInsert(t, s, NewCallLog(a, fmt.Sprintf("step-new-%d", step), 1, 0, time.Now()),
			NewCallLog(a, fmt.Sprintf("step-old-%d", step), 1, 0, base.Add(-time.Duration(step)*time.Hour)))
	})
	close(stop)
	wg.Wait()
	count := map[string]int{}
	for _, id := range got {
		count[id]++
		if count[id] > 1 {
			t.Errorf("id %s returned twice", id)
		}
	}
	for _, id := range before {
		if count[id] != 1 {
			t.Errorf("pre-existing id %s returned %d times; want once", id, count[id])
		}
	}
	if len(got) < len(before)+step-1 {
		t.Errorf("walked %d rows; want at least %d (every old row inserted between pages lands ahead of the cursor)", len(got), len(before)+step-1)
	}
	t.Logf("walked %d rows while %d (goroutine) + %d (between pages) were inserted", len(got), inserted, 2*step)
}
