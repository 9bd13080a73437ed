package proof

import (
	"context"
	"testing"

	"github.com/echosenseix/echosenseix/internal/stack"
)

// TestPGInstanceRunsConfAlone: the proof's Postgres runs the profile's
// settings and nothing forced beside them (fsync stays on, unlike the test
// servers), so default vs tuned compares the profile alone.
func TestPGInstanceRunsConfAlone(t *testing.T) {
	ctx := context.Background()
	if _, err := pgBinDir(); err != nil {
		stack.Unavailable(t, "postgres", err.Error())
	}
	p, err := startPostgres(ctx, "work_mem = '9MB'\n")
	if err != nil {
		t.Fatal(err)
	}
	defer p.stop()
	if got := p.show(ctx, "work_mem"); got != "9MB" {
		t.Errorf("work_mem = %q; want 9MB (the conf)", got)
	}
	if got := p.show(ctx, "fsync"); got != "on" {
		t.Errorf("fsync = %q; want on (nothing forced)", got)
	}
	if p.Port == 0 || p.DSN() == "" {
		t.Errorf("port %d dsn %q; want both", p.Port, p.DSN())
	}
}
