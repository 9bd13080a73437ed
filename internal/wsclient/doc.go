// Package wsclient is the small WebSocket client the load generators and
// the realtime tests use: Dial with gobwas/ws and small buffers, read JSON
// messages (answering server pings), write JSON, and Reconnect with
// jittered exponential backoff so a fleet of clients does not stampede a
// restarting server.
package wsclient
