// Package capacity is the measured cost model of the server and of the load
// generator, and the planner built on it: make capacity measures, each in
// isolation, the CPU (server process tree and generator) per unit of work
// (a page request by route, a login, a webhook, a delivered realtime frame,
// an idle socket-second, a socket connect), and loadtest plan multiplies a
// workload by those unit costs into cores, memory, file descriptors,
// Postgres connections, Redis operations and hosts.
package capacity
