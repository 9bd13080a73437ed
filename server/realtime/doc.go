// Package realtime owns the /ws/realtime-sync WebSocket channel: the
// handshake, the connection's read loop, the per-organization fan-out of
// bus events, the heartbeat, one-sync-per-organization and the channel's
// metrics.
//
// Two front doors share one Hub:
//
//   - ServeWS, called by httpapi's hertz route after authentication: the
//     101 goes out through hertz and the socket is taken with ctx.Hijack.
//     hertz keeps one goroutine per hijacked connection (the handler must
//     not return while the socket lives) and keeps the request context and
//     netpoll buffers: about 25 KB per idle connection measured here, 18.7
//     KB with TuneNetpoll(1024). Enough for the 1k and 10k tiers.
//   - Serve, a dedicated listener on netpoll's event loop with an
//     Authenticator: no goroutine per idle connection, goroutines run only
//     while bytes arrive. About 12.7 KB per idle connection, 5.4 KB with
//     TuneNetpoll(1024): the 100k tier.
//
// Per connection the hub keeps no writer goroutine and no buffers: frames
// are read straight out of netpoll's input buffer (Peek/Skip), broadcasts
// are encoded once per event into a small per-organization ring, each
// connection holds a cursor into it, and a fixed pool of writer goroutines
// drains the connections that are behind, each write under WriteTimeout. A
// connection more than SendQueue frames behind is dropped with 1013; a
// logout drops its session's connections, or all of a user's, with 1008
// (CloseUser here, the server.EventSessionsEnded bus event elsewhere). One
// timer per hub pings every connection each PingInterval and drops those
// that stayed silent PongTimeout after it.
package realtime
