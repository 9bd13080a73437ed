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
// Degraded mode: when Redis is unreachable every call fails fast with an
// error coded server.EUNAVAILABLE — bounded by Config.ReadTimeout, and
// short-circuited by a breaker after consecutive failures so that waiting
// goroutines do not pile up — and the same values recover on their own when
// Redis answers again. Callers of the Cache fail open (read-through goes to
// Postgres).
package redis
