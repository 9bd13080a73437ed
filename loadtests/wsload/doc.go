// Package wsload holds many long-lived connections to the server for the
// realtime and cluster connection proofs, and reports whether they held:
//
//   - mode "ws": N WebSocket connections to /ws/realtime-sync (the
//     dedicated REALTIME_PORT or the HTTP port), authenticated with realtime
//     tokens of the seeded users, each with a heartbeat; one organization
//     holds BigOrgConns of them and a webhook driver posts signed post-call
//     webhooks for it, so the fan-out latency of every call_completed is
//     measured at every receiving socket;
//   - mode "http": N keep-alive HTTP connections, each sending GET
//     /health/live every HTTPEvery.
//
// The coordinator (Run) re-executes its own binary as child processes
// (ChildMain; IsChild tells a child apart), at most MaxConnsPerProc
// connections each because of the open-file limit, spread over source
// addresses 127.0.0.2-9. A child holds its sockets without a goroutine per
// connection: a pool of dialers makes the TCP connection and the handshake
// with the standard library, then hands a duplicate of the descriptor to
// one epoll loop that owns every socket of the process (a few dozen bytes of
// state each, one shared read buffer). Children report counters and a
// mergeable latency histogram once a second on stdout; the coordinator
// sends them fresh tokens and the stop command on stdin, samples the
// server's worker RSS in /proc, and writes report.json and report.md.
package wsload
