// Package auth owns the credential primitives of the HTTP API: argon2id
// password hashing in PHC format (bcrypt hashes are verified too), a login
// throttle per account and per client address, and short-lived HMAC-signed
// tokens that authenticate the realtime WebSocket.
package auth
