// Package cluster is the prefork supervisor of `echosenseix serve` with
// CLUSTER_ENABLED and more than one worker: a primary process that starts
// worker processes (re-executions of the same binary) serving one public
// port, restarts them per slot, forwards shutdown signals, rolls them on
// SIGHUP and answers the cluster-wide metrics.
//
// # Sharing the port
//
// ListenShared (default): the primary opens the listening socket and hands
// its descriptor to every worker (exec.Cmd.ExtraFiles, fd 4). The accept
// backlog belongs to that one socket, so when a worker dies (even SIGKILL)
// connections waiting in the backlog are accepted by the others: only
// requests in flight on the dead worker fail. ListenReusePort: every worker
// binds its own socket with SO_REUSEPORT and the kernel spreads connections
// by hash; connections queued on a dying worker's socket are reset by the
// kernel, so a crash or a rolling restart can refuse a few connections.
// Both set TCP_DEFER_ACCEPT: a connection is accepted once its request has
// arrived, so a stopping worker (whose HTTP server closes the accepted
// connections that hold no unread request) does not drop a just-accepted
// one. SIGHUP's rolling restart loses nothing in shared mode: the new
// worker accepts from the same socket before the old one stops.
//
// # Stopping
//
// SIGTERM to the primary is forwarded to every worker, which drains like a
// single process (readiness 503 and "Connection: close" for the drain
// delay, then listener closed and in-flight work finished); the primary
// waits ShutdownTimeout plus DrainDelay before it kills what is left. A
// worker replaced in a rolling restart gets RetireSignal instead: it stops
// accepting at once (its siblings hold the port) and finishes its requests
// with "Connection: close", but keeps /health/ready at 200, since a
// balancer's check landing on it speaks for the whole instance, which
// stays ready.
//
// # Protocol between primary and workers
//
// A worker learns its role from environment variables set by the primary
// (EnvSlot, EnvDir, EnvListen; read through WorkerFromEnv with a getenv
// function, since only cmd reads the environment). fd 3 is a pipe on which
// the worker writes one byte when it is ready to serve (Worker.Ready); a
// worker that exits or times out before that is a start-up failure. Each
// worker serves its own (local) metrics registry on a private unix socket
// <dir>/w-<pid>.sock; the primary serves <dir>/primary.sock.
//
// # Honest metrics
//
// Workers serve the public port, so a scrape of /metrics lands on one of
// them. That worker's Gatherer (Worker.Gatherer) asks the primary, which
// gathers every live worker's local registry (protobuf, in parallel, bounded
// by a timeout), adds the label worker="<slot>" to every series, sums series
// that collide (the old and the new process of a slot during a rolling
// restart) and adds its own cluster_* families and its Go/process metrics
// under worker="primary". Every series has a worker label, so
// sum(http_requests_total) equals the requests answered by live workers; a
// restarted slot shows as a counter reset, which rate() and increase()
// handle.
package cluster
