// Package server holds EchoSenseiX's domain: the types every adapter shares
// (Organization, User, Agent, CallLog, Document, Job, Event, Session), the one
// coded Error mapped to HTTP status in httpapi, and the small interfaces the
// adapters implement (Cache, Queue, SessionStore, Bus and the stores).
//
// It imports the standard library only. Adapters (inmem, redis, postgres,
// httpapi) import this package and server/internal, never each other; only
// cmd/echosenseix wires them together.
package server
