// Package suite holds the multi-instance integration tests: the real
// echosenseix binary run as several instances (integration/harness) against
// real Postgres and Redis (internal/stack). Cache coherence, shared
// sessions, jobs, realtime events across instances, Redis and Postgres
// faults, instances behind nginx, and concurrent migrations. Every wait has
// a deadline; the suite runs in well under two minutes.
package suite
