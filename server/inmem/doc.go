// Package inmem holds the memory providers for one instance: the Cache (a
// sharded LRU with a TTL per entry), the job Queue (priorities, delays,
// retries with backoff, a bounded dead-letter set), the SessionStore (sliding
// expiry), the event Bus (in-process fan-out) and the memory stores used
// when no DATABASE_URL is set. Nothing here survives a restart or is shared
// between processes; the redis and postgres packages provide the shared
// versions, and each pair passes the same contract suite (cachetest,
// queuetest, sessiontest, bustest, storetest).
package inmem
