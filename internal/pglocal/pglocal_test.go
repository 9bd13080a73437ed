package pglocal_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/echosenseix/echosenseix/internal/pglocal"
)

// TestStartWithConf starts a server with an included conf and a command-line
// setting, reads both back with SHOW, and shows that a refused setting fails
// Start with the server's own words.
func TestStartWithConf(t *testing.T) {
	ctx := context.Background()
	c, err := pglocal.Init(ctx, "pglocal-test-", "")
	if errors.Is(err, pglocal.ErrNoBinary) {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Remove()
	dsn, err := c.Start(ctx, "work_mem = '7MB'\n", "fsync=off")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		c.Stop(ctx, "immediate")
		t.Fatal(err)
	}
	var workMem, fsync string
	err = conn.QueryRow(ctx, "SELECT current_setting('work_mem'), current_setting('fsync')").Scan(&workMem, &fsync)
	conn.Close(ctx)
	c.Stop(ctx, "fast")
	if err != nil {
		t.Fatal(err)
	}
	if workMem != "7MB" || fsync != "off" {
		t.Errorf("work_mem, fsync = %s, %s; want 7MB (conf), off (command line)", workMem, fsync)
	}
	if _, err := c.Start(ctx, "shared_buffers = 'lots'\n"); err == nil || !strings.Contains(err.Error(), "shared_buffers") {
		c.Stop(ctx, "immediate")
		t.Errorf("Start with a bad setting: %v; want an error naming shared_buffers", err)
	}
}
