package postgres

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/stack"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runChild())
	}
	code := m.Run()
	stack.StopAll()
	os.Exit(code)
}

// MustOpen opens a pool on a fresh database, closed at cleanup; migrated
// unless migrate is false.
func MustOpen(tb testing.TB, cfg Config, migrate bool) *DB {
	tb.Helper()
	if cfg.URL == "" {
		cfg.URL = stack.Postgres(tb)
	}
	if cfg.MinConns == 0 {
		cfg.MinConns = -1
	}
	if cfg.MaxConns == 0 {
		cfg.MaxConns = 8
	}
	db, err := Open(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("Open() = %v; want nil", err)
	}
	tb.Cleanup(db.Close)
	if migrate {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := db.Migrate(ctx); err != nil {
			tb.Fatalf("Migrate() = %v; want nil", err)
		}
	}
	return db
}
