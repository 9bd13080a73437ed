// Package queue is the Redis job queue: a server.Queue on
// github.com/hibiken/asynq (the Go counterpart of Bull). Its go-redis client
// stays inside this package. QUEUE_PROVIDER=redis selects it, and so does
// QUEUE_PROVIDER=bull, the scaling guide's alias (cmd maps both here).
//
// Priority: asynq has no per-task priority, so each priority level is a
// queue of its own, named Prefix+"p<level>", served with StrictPriority
// (every higher queue is empty before a lower one is served), FIFO inside
// one. Levels are MinPriority..MaxPriority (0..10); a priority outside them
// is clamped to the nearest level (11 and 99 both run as 10, -5 as 0).
// Each idle worker polls the levels highest first, one Redis call per level.
//
// Retries: a job runs at most MaxAttempts times (asynq MaxRetry =
// MaxAttempts-1); retry n waits BackoffBase*2^n with jitter (between half
// and all of it), capped at BackoffMax. Then it moves to asynq's archive: the
// dead-letter set (Stats.Failed, DeadLetters).
//
// Times: asynq keeps run times in whole seconds. Delays and retry backoffs
// are rounded UP to the next whole second so that a job never runs early;
// due jobs are moved to their queue every PollInterval.
//
// Delivery is at least once: a worker holds a job under a lease (asynq: 30 s,
// extended every 5 s while the process lives). When the process dies, the
// job's lease lapses and the recoverer of any live worker returns it
// (asynq checks leases that expired more than 30 s ago, once a minute: a
// killed worker's jobs run again within about 60-120 s). Handlers must be
// idempotent.
package queue
