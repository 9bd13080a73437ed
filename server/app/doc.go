// Package app holds the use cases of EchoSenseiX: what each operation means,
// whoever asks for it. Ingesting a call validates it once, hands it to group
// commit, drops the cache keys it made stale and publishes call_completed;
// agent writes drop the keys keys.go names for them; cached reads answer
// pre-encoded JSON bytes; login counts the attempt, checks the password and
// opens a session; realtime authentication verifies a token or a session;
// a document is stored and queued for processing.
//
// It depends on the domain package and server/internal only: the HTTP
// adapter decodes, authenticates, calls a Service and encodes, and the
// dedicated realtime listener authenticates through the same Service.
package app
