// Package proof measures whether the tuning profiles matter on this
// machine, baseline and candidate in the same run: a connection burst
// against a briefly busy listener inside a network namespace with the
// kernel's defaults and inside one with the profile's net.* values, and
// the batched webhook ingestion and a read-heavy pgbench against two
// throwaway Postgres instances, one with defaults and one with the
// profile's postgresql.conf. It writes report.md, a PNG and the compressed
// raw figures (make tuning-proof; not in CI).
package proof
