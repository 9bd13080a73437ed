// Package postgres is the Postgres adapter: a pgxpool honouring the
// DATABASE_* settings (an acquire that cannot get a connection within
// AcquireTimeout answers EUNAVAILABLE instead of hanging), read replicas
// that serve the read-only queries (replica.go), embedded SQL migrations applied under an advisory lock, and Store, which implements
// every store interface of package server, writing call-log batches in one
// statement with their analytics counters.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/internal/tracing"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Defaults for Config's zero fields.
const (
	DefaultMaxConns         = 100
	DefaultMinConns         = 10
	DefaultAcquireTimeout   = 10 * time.Second
	DefaultStatementTimeout = 30 * time.Second
)

// Config configures the pool. Zero fields take the defaults above.
type Config struct {
	URL              string        // postgres:// DSN (DATABASE_URL); required
	MaxConns         int32         // pool size of this process; default 100 (the command gives each cluster worker its share of DATABASE_MAX_CONNECTIONS)
	MinConns         int32         // connections kept open by this process; default 10, < 0 means none (a worker's share of DATABASE_MIN_CONNECTIONS)
	AcquireTimeout   time.Duration // longest wait for a free connection; default 10s (DATABASE_ACQUIRE_TIMEOUT)
	StatementTimeout time.Duration // server-side statement_timeout per connection; default 30s (DATABASE_STATEMENT_TIMEOUT)

	// ReplicaURLs are streaming replicas of URL that serve the read-only
	// queries (DATABASE_REPLICA_URLS; see replica.go for the routing); each
	// gets a pool sized like the primary's. Empty: everything on URL.
	ReplicaURLs []string
	// ReplicaMaxLag is the lag past which a replica is skipped, and with
	// ReplicaCheckEvery the read-your-writes window; default 1 s
	// (DATABASE_REPLICA_MAX_LAG).
	ReplicaMaxLag time.Duration
	// ReplicaCheckEvery is the period of the replicas' health and lag
	// checks; default 250 ms.
	ReplicaCheckEvery time.Duration
	// Log receives replica health changes; nil discards them.
	Log *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.MaxConns <= 0 {
		c.MaxConns = DefaultMaxConns
	}
	switch {
	case c.MinConns == 0:
		c.MinConns = min(DefaultMinConns, c.MaxConns)
	case c.MinConns < 0:
		c.MinConns = 0
	}
	c.MinConns = min(c.MinConns, c.MaxConns)
	if c.AcquireTimeout <= 0 {
		c.AcquireTimeout = DefaultAcquireTimeout
	}
	if c.StatementTimeout <= 0 {
		c.StatementTimeout = DefaultStatementTimeout
	}
	if c.ReplicaMaxLag <= 0 {
		c.ReplicaMaxLag = DefaultReplicaMaxLag
	}
	if c.ReplicaCheckEvery <= 0 {
		c.ReplicaCheckEvery = DefaultReplicaCheckEvery
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return c
}

// DB is the connection pool of the primary, and of the read replicas.
type DB struct {
	pool *pgxpool.Pool
	cfg  Config
	replicaFields
}

// Open creates the pools. They connect lazily (plus MinConns in the
// background; the replicas are checked once) and Open does not migrate:
// call Migrate, and Ping to check the primary answers.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	cfg = cfg.withDefaults()
	pc, err := poolConfig(cfg.URL, cfg)
	if err != nil {
		return nil, fmt.Errorf("cannot parse database url: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("cannot create database pool: %w", err)
	}
	db := &DB{pool: pool, cfg: cfg}
	db.log = cfg.Log
	if err := db.openReplicas(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// poolConfig is the pool configuration of url with cfg's settings.
func poolConfig(url string, cfg Config) (*pgxpool.Config, error) {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	pc.MaxConns, pc.MinConns = cfg.MaxConns, cfg.MinConns
	if pc.ConnConfig.RuntimeParams == nil {
		pc.ConnConfig.RuntimeParams = map[string]string{}
	}
	pc.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(cfg.StatementTimeout.Milliseconds(), 10)
	if _, ok := pc.ConnConfig.RuntimeParams["application_name"]; !ok {
		pc.ConnConfig.RuntimeParams["application_name"] = "echosenseix"
	}
	if pc.ConnConfig.ConnectTimeout == 0 || pc.ConnConfig.ConnectTimeout > cfg.AcquireTimeout {
		pc.ConnConfig.ConnectTimeout = cfg.AcquireTimeout
	}
	if tracing.Enabled() {
		pc.ConnConfig.Tracer = pgTracer{}
	}
	return pc, nil
}

// Close closes every connection, the replicas' too.
func (db *DB) Close() {
	db.closeReplicas()
	db.pool.Close()
}

// Pool returns the underlying pool (for tools and tests).
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Ping checks that a connection can be acquired and the server answers.
func (db *DB) Ping(ctx context.Context) error {
	c, err := db.acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	if err := c.Ping(ctx); err != nil {
		return dbError(err, "ping database")
	}
	return nil
}

// acquire gets a connection within AcquireTimeout, or answers EUNAVAILABLE.
func (db *DB) acquire(ctx context.Context) (*pgxpool.Conn, error) {
	actx, cancel := context.WithTimeout(ctx, db.cfg.AcquireTimeout)
	defer cancel()
	c, err := db.pool.Acquire(actx)
	if err != nil {
		return nil, server.WrapError(server.EUNAVAILABLE, "database unavailable", fmt.Errorf("cannot acquire database connection: %w", err))
	}
	return c, nil
}

// withConn runs f on an acquired connection and maps its error.
func (db *DB) withConn(ctx context.Context, op string, f func(c *pgxpool.Conn) error) error {
	c, err := db.acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	return dbError(f(c), op)
}

// dbError maps a pgx error to the coded domain error; *server.Error passes
// through unchanged. It is the one place SQLSTATEs become codes: every data
// exception (class 22) is EINVALID (400), so input Postgres refuses is the
// client's error and never "internal".
func dbError(err error, op string) error {
	if err == nil {
		return nil
	}
	var se *server.Error
	if errors.As(err, &se) {
		return err
	}
	cause := fmt.Errorf("cannot %s: %w", op, err)
	var pe *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return server.WrapError(server.ENOTFOUND, "not found", cause)
	case errors.As(err, &pe):
		switch {
		case pe.Code == "23505":
			return server.WrapError(server.ECONFLICT, "already exists", cause)
		case pe.Code == "23503":
			return server.WrapError(server.ENOTFOUND, "referenced row not found", cause)
		case len(pe.Code) == 5 && pe.Code[:2] == "22":
			// Class 22, data exception (22021 bad byte sequence, 22P05
			// \u0000 in jsonb, 22001 too long, 22P02 bad syntax, 22003 out
			// of range...): the caller's input, never the server's fault.
			return server.WrapError(server.EINVALID, "invalid value: "+pe.Message, cause)
		case pe.Code == "23514":
			return server.WrapError(server.EINVALID, "invalid value", cause)
		case pe.Code == "57014", pe.Code == "53300", pe.Code == "40001", pe.Code == "40P01",
			pe.Code[:2] == "08", pe.Code[:2] == "57":
			return server.WrapError(server.EUNAVAILABLE, "database unavailable", cause)
		}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled), pgconn.Timeout(err), pgconn.SafeToRetry(err):
		return server.WrapError(server.EUNAVAILABLE, "database unavailable", cause)
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return server.WrapError(server.EUNAVAILABLE, "database unavailable", cause)
	}
	return server.WrapError(server.EINTERNAL, "internal error", cause)
}
