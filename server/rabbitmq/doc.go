// Package rabbitmq is the RabbitMQ job queue: a server.Queue on
// github.com/rabbitmq/amqp091-go. QUEUE_PROVIDER=rabbitmq selects it, on
// the broker at RABBITMQ_URL.
//
// Topology, every name starting with Config.Prefix (default "es"):
//   - Prefix+".work", a direct exchange, and the durable classic queue
//     Prefix+".jobs" bound to it, declared with x-max-priority 10 and
//     x-dead-letter-exchange Prefix+".dlx";
//   - Prefix+".dlx", a fanout exchange, and Prefix+".dead", the
//     dead-letter queue bound to it;
//   - Prefix+".delay.<ms>", one durable queue per delay bucket, with
//     x-message-ttl <ms> and dead-lettering into Prefix+".work": a message
//     published there waits its TTL, then the broker moves it to the jobs
//     queue. x-expires drops a bucket unused for 2×TTL+1 min.
//
// Delivery is at least once. AddJob returns after the broker confirmed the
// persistent message (publisher confirms). A worker acknowledges a job only
// after its handler returned and, for a failure, after the retry or the
// dead letter it published was confirmed; a worker that dies (SIGKILL, a
// lost connection) leaves its jobs unacknowledged, and the broker hands
// them to another consumer at once. The connection is re-dialled with
// back-off after the broker restarts; durable queues and persistent
// messages survive the restart. Handlers must be idempotent.
//
// Priority: levels MinPriority..MaxPriority (0..10) are AMQP message
// priorities; a priority outside them is clamped. Each instance takes at
// most Concurrency unacknowledged jobs (basic.qos prefetch), so waiting
// jobs stay in the broker, where the higher priority is delivered first and
// FIFO holds within one.
//
// Retries: a failed run n (n < MaxAttempts) is republished into the delay
// bucket of BackoffBase·2^(n-1) with jitter (half to all of it, capped at
// BackoffMax), rounded up to its bucket so that it never runs early.
// Buckets: multiples of 10 ms up to 100 ms, then two significant digits.
// The last failure is published to Prefix+".dlx" with its error; a message
// the queue cannot read is rejected and dead-lettered by the broker.
//
// What the broker cannot answer is kept by each instance: Job(id) knows the
// jobs this instance added or ran (completed and dead ones for Retention),
// and Stats counts Processing (jobs running here), Completed (kept here)
// and Delayed (the buckets this instance declared) locally, while Pending
// and Failed are the broker's counts of the jobs and dead-letter queues,
// shared by every instance. A redelivery after a crash shows the Attempts
// of the run that was interrupted (the count travels in a header, written
// only when a job is republished).
package rabbitmq
