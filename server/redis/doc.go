// Package redis holds EchoSenseiX's Redis tier on github.com/redis/rueidis:
// a Cache with server-assisted client-side caching (hot keys are served from
// process memory, and a write on any instance evicts every instance's local
// copy through Redis tracking), a SessionStore with sliding expiry whose
// lookups are served from the same client-side cache (a logout on any
// instance invalidates every copy; renewals are written at most every
// tenth of the TTL, so an authenticated request needs no round trip), and a Bus
// over Redis pub/sub that carries realtime Events between instances.
//
// Every key and channel carries Config.Prefix so several deployments (and
// tests) share one Redis. The job queue lives in server/redis/queue (asynq).
//
// Redis Cluster (Config.Cluster, REDIS_CLUSTER_ADDRS): the client follows
// the slot map (MOVED after a failover), and the client-side cache works per
// node: each node pushes the invalidations of the keys read from it, and a
// demoted master still pushes them as it replicates the new master's
// writes. Keys that one command or script touches together share a hash
// tag, and only those: the login throttle's three keys of an attempt (one
// Lua script) live under "login:{throttle}:", so the whole throttle sits in
// one slot; asynq keeps each queue's keys under "asynq:{<queue>}:" for its
// scripts. Sessions and the per-user index carry no tag on purpose: every
// command on them is single-key (several are pipelined, which the cluster
// client splits by slot), so a busy user's sessions spread over the
// shards. A Cache Delete of several keys becomes one DEL per key,
// pipelined. The Bus uses sharded pub/sub (SPUBLISH/SSUBSCRIBE): its
// channel's slot owner orders the events, and a publish does not go to
// every node.
//
// Degraded mode: when Redis is unreachable every call fails fast with an
// error coded server.EUNAVAILABLE — bounded by Config.ReadTimeout, and
// short-circuited by a breaker after consecutive failures so that waiting
// goroutines do not pile up — and the same values recover on their own when
// Redis answers again. Callers of the Cache fail open (read-through goes to
// Postgres).
package redis
