// Package webhook is the voice platform's post-call webhook protocol, written
// once for the server that verifies it and the tools that send it: the
// signature header, Sign, Parse and a constant-time Valid, and a minimal
// post_call_transcription body.
//
// The header value is "t=<unix s>,v0=<hex HMAC-SHA256(secret, "<t>.<raw body>")>";
// a receiver accepts any of several v0 values (secret rotation).
package webhook
