package groupcommit_test

import (
	"context"
	"strings"
	"testing"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/internal/groupcommit"
)

// refusePoisonSQL makes this test's database refuse, as a data exception
// (SQLSTATE 22021, what a NUL byte raises), any call log whose conversation
// starts with "poison-": a row Validate accepts but Postgres does not.
const refusePoisonSQL = `
CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.conversation_id LIKE 'poison-%' THEN
		RAISE EXCEPTION 'refused %', NEW.conversation_id USING ERRCODE = '22021';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER refuse_poison BEFORE INSERT ON call_logs FOR EACH ROW EXECUTE FUNCTION refuse_poison();`

// TestPostgresDataErrorFailsOnlyItsRow: 8 rows Postgres refuses among 400
// good ones, ingested at once through group commit: the 8 answer EINVALID,
// the 400 are stored with their counters, in batches that carried both.
func TestPostgresDataErrorFailsOnlyItsRow(t *testing.T) {
	f := newFixture(t, 8)
	if _, err := f.db.Pool().Exec(context.Background(), refusePoisonSQL); err != nil {
		t.Fatal(err)
	}
	ins := &countingInserter{next: f.store}
	b := groupcommit.New(ins, groupcommit.Config{MaxInFlight: 1})
	defer b.Close(context.Background())
	all := distinct(400, "good")
	for i := range 8 {
		all = append(all[:i*50+1], append([]string{"poison-" + string(rune('a'+i))}, all[i*50+1:]...)...)
	}
	var stored, refused int
	for _, r := range ingestConcurrently(b, f.agent, all) {
		switch poison := strings.HasPrefix(r.conv, "poison-"); {
		case poison && server.ErrorCode(r.err) == server.EINVALID:
			refused++
		case !poison && r.err == nil && r.res.Created:
			stored++
		default:
			t.Errorf("Ingest(%s) = %+v, %v; want EINVALID for poison, created for good", r.conv, r.res, r.err)
		}
	}
	if stored != 400 || refused != 8 {
		t.Errorf("stored %d, refused %d; want 400 and 8", stored, refused)
	}
	if rows, counted := f.count(t); rows != 400 || counted != 400 {
		t.Errorf("call_logs has %d rows, call_stats counts %d; want 400 and 400", rows, counted)
	}
	if calls := ins.calls.Load(); calls <= 8 {
		t.Errorf("InsertCallLogs called %d times; want the refused batches retried row by row (> 8 calls)", calls)
	}
}
