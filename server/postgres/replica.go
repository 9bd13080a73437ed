package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/echosenseix/echosenseix/server"
)

// Read replicas (Config.ReplicaURLs, DATABASE_REPLICA_URLS).
//
// Routing: the read-only queries — the lists (agents, call-log pages),
// analytics, and the lookups behind the cache (agent by id or provider id,
// organization, call log by id) — go to a healthy replica, round robin;
// everything else (writes, users and the login path, documents, whose
// processing reads then writes) goes to the primary. A lookup that finds
// nothing on a replica asks the primary before answering ENOTFOUND (a row
// made a moment ago on another instance may not have reached the replica);
// a read that fails on a replica for a transport reason (connection
// refused, timeout, a conflict with recovery) marks the replica unhealthy
// and runs on the primary, so a replica that dies costs no failed request.
//
// Health and lag: every ReplicaCheckEvery each replica answers whether it is
// in recovery with a WAL receiver running, and its lag: 0 when it has
// replayed all the WAL it received, else the age of the last transaction it
// replayed (the usual now() - pg_last_xact_replay_timestamp(), which over-
// states the lag of a replica idle since a write, never understates it). A
// replica past ReplicaMaxLag, not answering or not replicating is skipped
// until a check finds it well again; with none healthy, reads go to the
// primary.
//
// Read-your-writes: after a write for an organization, this instance reads
// that organization from the primary for a window of ReplicaMaxLag +
// ReplicaCheckEvery (a lookup across organizations, the agent by provider
// id, after any write). A replica in use was at most ReplicaMaxLag behind at a
// check at most ReplicaCheckEvery ago, so past the window it has replayed
// the write (up to clock skew between the servers and WAL not yet sent).
// Chosen over waiting for the replica's replay LSN to pass the write's: that
// costs every write a round trip for its LSN and every read a wait or a
// query on the replica, and the LSN would have to travel with the client to
// other instances; the window costs a map lookup and needs nothing carried.
// Its limit: it holds for reads on the instance that wrote (the one the
// client's request reached); another instance may read the replica's older
// copy for up to ReplicaMaxLag, and a cache filled from it keeps it until
// the next write or the entry's TTL.

// Defaults of the replica settings.
const (
	DefaultReplicaMaxLag     = time.Second
	DefaultReplicaCheckEvery = 250 * time.Millisecond
	// replicaConnectTimeout bounds a connection attempt to a replica: a
	// hung one must not hold reads for DATABASE_ACQUIRE_TIMEOUT.
	replicaConnectTimeout = 2 * time.Second
	// laggingUnknown is the lag reported for a replica that cannot say.
	laggingUnknown = 24 * time.Hour
)

// replica is one read pool and what its last check found.
type replica struct {
	name    string // pool label: replica-1, replica-2, ...
	pool    *pgxpool.Pool
	healthy atomic.Bool
	lag     atomic.Int64 // ns, last check
	reads   atomic.Uint64
}

// replicaCheckSQL: in recovery with a WAL receiver, and the lag in seconds.
const replicaCheckSQL = `SELECT pg_is_in_recovery() AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver),
	CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
	     ELSE coalesce(extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8, 86400) END`

// openReplicas opens a pool per replica URL with the primary's settings and
// checks each once (a replica down at start is skipped, not fatal).
func (db *DB) openReplicas(ctx context.Context) error {
	for i, u := range db.cfg.ReplicaURLs {
		pc, err := poolConfig(u, db.cfg)
		if err != nil {
			return fmt.Errorf("cannot parse database replica url %d: %w", i+1, err)
		}
		pc.ConnConfig.ConnectTimeout = min(pc.ConnConfig.ConnectTimeout, replicaConnectTimeout)
		pool, err := pgxpool.NewWithConfig(ctx, pc)
		if err != nil {
			db.closeReplicas()
			return fmt.Errorf("cannot create database replica pool %d: %w", i+1, err)
		}
		db.replicas = append(db.replicas, &replica{name: "replica-" + strconv.Itoa(i+1), pool: pool})
	}
	if len(db.replicas) == 0 {
		return nil
	}
	db.window = (db.cfg.ReplicaMaxLag + db.cfg.ReplicaCheckEvery).Nanoseconds()
	db.checkAll(ctx)
	cctx, cancel := context.WithCancel(context.Background())
	db.stopCheck = cancel
	db.checking.Add(1)
	go db.checkLoop(cctx)
	return nil
}

func (db *DB) closeReplicas() {
	if db.stopCheck != nil {
		db.stopCheck()
		db.checking.Wait()
	}
	for _, r := range db.replicas {
		r.pool.Close()
	}
}

func (db *DB) checkLoop(ctx context.Context) {
	defer db.checking.Done()
	t := time.NewTicker(db.cfg.ReplicaCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			db.checkAll(ctx)
		}
	}
}

// checkAll checks every replica at once, each within ReplicaCheckEvery.
func (db *DB) checkAll(ctx context.Context) {
	var wg sync.WaitGroup
	for _, r := range db.replicas {
		wg.Go(func() { db.check(ctx, r) })
	}
	wg.Wait()
}

func (db *DB) check(ctx context.Context, r *replica) {
	ctx, cancel := context.WithTimeout(ctx, max(db.cfg.ReplicaCheckEvery, 100*time.Millisecond))
	defer cancel()
	var streaming bool
	var lag float64
	err := r.pool.QueryRow(ctx, replicaCheckSQL).Scan(&streaming, &lag)
	was := r.healthy.Load()
	switch {
	case err != nil:
		r.lag.Store(int64(laggingUnknown))
		r.healthy.Store(false)
	default:
		d := time.Duration(lag * float64(time.Second))
		r.lag.Store(int64(d))
		r.healthy.Store(streaming && d <= db.cfg.ReplicaMaxLag)
	}
	if now := r.healthy.Load(); now != was && ctx.Err() == nil {
		db.log.Info("database replica health changed", "pool", r.name, "healthy", now, "lag", time.Duration(r.lag.Load()), "err", err)
	}
}

// pickReplica answers the replica for a read of org, or nil for the
// primary (no replica healthy, or org written here within the window).
func (db *DB) pickReplica(org string) *replica {
	if len(db.replicas) == 0 || db.recentWrite(org) {
		return nil
	}
	n := uint64(len(db.replicas))
	start := db.next.Add(1)
	for i := range n {
		if r := db.replicas[(start+i)%n]; r.healthy.Load() {
			return r
		}
	}
	db.noReplica.Add(1)
	return nil
}

// withRead runs the read-only f for org on a replica when one serves it,
// else on the primary; lookup marks a single-row lookup, which asks the
// primary when the replica finds nothing.
func (db *DB) withRead(ctx context.Context, org, op string, lookup bool, f func(c *pgxpool.Conn) error) error {
	r := db.pickReplica(org)
	if r == nil {
		db.primaryReads.Add(1)
		return db.withConn(ctx, op, f)
	}
	err := db.onReplica(ctx, r, op, f)
	switch {
	case err == nil:
		r.reads.Add(1)
		return nil
	case lookup && server.IsNotFound(err):
		r.reads.Add(1)
		db.notFoundRetries.Add(1)
	case server.ErrorCode(err) == server.EUNAVAILABLE && ctx.Err() == nil:
		r.healthy.Store(false) // until a check finds it well
		db.failovers.Add(1)
		db.log.Warn("database replica failed a read; reading from the primary", "pool", r.name, "err", err)
	default:
		r.reads.Add(1)
		return err
	}
	db.primaryReads.Add(1)
	return db.withConn(ctx, op, f)
}

// onReplica runs f on a connection of r within the acquire timeout.
func (db *DB) onReplica(ctx context.Context, r *replica, op string, f func(c *pgxpool.Conn) error) error {
	actx, cancel := context.WithTimeout(ctx, db.cfg.AcquireTimeout)
	c, err := r.pool.Acquire(actx)
	cancel()
	if err != nil {
		return server.WrapError(server.EUNAVAILABLE, "database unavailable", fmt.Errorf("cannot acquire replica connection: %w", err))
	}
	defer c.Release()
	return dbError(f(c), op)
}

// wrote notes a write for org: this instance reads org from the primary
// for the read-your-writes window. Without replicas it does nothing.
func (db *DB) wrote(org string) {
	if len(db.replicas) == 0 || org == "" {
		return
	}
	now := time.Now().UnixNano()
	db.wmu.Lock()
	if len(db.writes) >= 4096 {
		for k, until := range db.writes {
			if until <= now {
				delete(db.writes, k)
			}
		}
	}
	if db.writes == nil {
		db.writes = make(map[string]int64)
	}
	db.writes[org] = now + db.window
	db.wmu.Unlock()
	db.anyWrite.Store(now + db.window)
}

// wroteCallLogs notes a write for each organization of logs.
func (db *DB) wroteCallLogs(logs []*server.CallLog) {
	if len(db.replicas) == 0 {
		return
	}
	last := ""
	for _, l := range logs {
		if l.OrganizationID != last {
			db.wrote(l.OrganizationID)
			last = l.OrganizationID
		}
	}
}

// recentWrite reports whether org was written here within the window; for
// org "" (a lookup across organizations), whether anything was.
func (db *DB) recentWrite(org string) bool {
	if org == "" {
		return time.Now().UnixNano() < db.anyWrite.Load()
	}
	db.wmu.Lock()
	until, ok := db.writes[org]
	db.wmu.Unlock()
	return ok && time.Now().UnixNano() < until
}

// ReplicaStats is what the router did, for tests and metrics.
type ReplicaStats struct {
	PrimaryReads    uint64            // reads served by the primary
	ReplicaReads    map[string]uint64 // by pool name
	Healthy         map[string]bool
	Lag             map[string]time.Duration
	NoReplica       uint64 // reads that found no healthy replica
	Failovers       uint64 // replica reads that failed and ran on the primary
	NotFoundRetries uint64 // replica lookups that found nothing, asked again on the primary
}

// ReplicaStats reports the routing counters and each replica's last check.
func (db *DB) ReplicaStats() ReplicaStats {
	st := ReplicaStats{PrimaryReads: db.primaryReads.Load(), NoReplica: db.noReplica.Load(), Failovers: db.failovers.Load(),
		NotFoundRetries: db.notFoundRetries.Load(),
		ReplicaReads:    map[string]uint64{}, Healthy: map[string]bool{}, Lag: map[string]time.Duration{}}
	for _, r := range db.replicas {
		st.ReplicaReads[r.name] = r.reads.Load()
		st.Healthy[r.name] = r.healthy.Load()
		st.Lag[r.name] = time.Duration(r.lag.Load())
	}
	return st
}

// replicaFields of DB, kept here with the code that uses them.
type replicaFields struct {
	replicas        []*replica
	next            atomic.Uint64
	window          int64 // read-your-writes window, ns
	wmu             sync.Mutex
	writes          map[string]int64 // organization -> end of its window, unix ns
	anyWrite        atomic.Int64     // end of the window of the latest write, unix ns
	primaryReads    atomic.Uint64
	noReplica       atomic.Uint64
	failovers       atomic.Uint64
	notFoundRetries atomic.Uint64
	stopCheck       context.CancelFunc
	checking        sync.WaitGroup
	log             *slog.Logger
}
