package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/echosenseix/echosenseix/server/postgres"
)

// openDB opens the pool of DATABASE_URL and checks the server answers.
func openDB(ctx context.Context, c DatabaseConfig) (*postgres.DB, error) {
	db, err := postgres.Open(ctx, postgres.Config{
		URL:              c.URL,
		MaxConns:         int32(c.MaxConnections),
		MinConns:         minConns(c.MinConnections),
		AcquireTimeout:   c.AcquireTimeout.D(),
		StatementTimeout: c.StatementTimeout.D(),
		ReplicaURLs:      c.replicaURLs(),
		ReplicaMaxLag:    c.ReplicaMaxLag.D(),
	})
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, c.AcquireTimeout.D())
	defer cancel()
	if err := db.Ping(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("cannot reach DATABASE_URL=%s: %w", redactURL(c.URL), err)
	}
	return db, nil
}

// minConns maps DATABASE_MIN_CONNECTIONS=0 to postgres' "none" (< 0).
func minConns(n int) int32 {
	if n == 0 {
		return -1
	}
	return int32(n)
}

// migratedDB is how the migrate and seed commands begin: the settings,
// DATABASE_URL required (without names the command's line when it is not
// set), the pool, and the migrations applied under the advisory lock. A code
// other than 0 is the command's exit code; what failed is printed.
func migratedDB(ctx context.Context, without string) (*postgres.DB, *Config, int) {
	cfg, err := loadConfig(environMap(os.Environ()))
	if err != nil {
		exitConfig(err)
	}
	if cfg.Database.URL == "" {
		fmt.Fprintln(os.Stderr, "echosenseix: "+without)
		return nil, cfg, 2
	}
	db, err := openDB(ctx, cfg.Database)
	if err != nil {
		fmt.Fprintf(os.Stderr, "echosenseix: %v\n", err)
		return nil, cfg, 1
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		fmt.Fprintf(os.Stderr, "echosenseix: %v\n", err)
		return nil, cfg, 1
	}
	return db, cfg, 0
}

// migrateCmd applies the migrations under the advisory lock and exits.
func migrateCmd(args []string) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	timeout := fs.Duration("timeout", 2*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	db, cfg, code := migratedDB(ctx, "migrate needs DATABASE_URL (postgres://...)")
	if code != 0 {
		return code
	}
	defer db.Close()
	newLogger(cfg.Ops.LogLevel, "cmd", "migrate").Info("migrations applied")
	return 0
}
