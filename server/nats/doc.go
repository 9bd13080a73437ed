// Package nats is the at-least-once event bus: a server.Bus on NATS
// JetStream (github.com/nats-io/nats.go and its jetstream package).
// BUS_PROVIDER=nats selects it, on the server at NATS_URL.
//
// Every event is published, with its ID as the Nats-Msg-Id (the server
// drops a repeat within its Duplicates window), to the subject
// Prefix+".events" of the file-backed stream Prefix+"_events", which keeps
// events for Retention. Each instance reads the stream through a durable
// consumer of its own, named Prefix+"_"+Instance: the server keeps that
// consumer's position, so an instance that stops (a crash, a restart, a
// deploy) is handed, when it subscribes again, every event published while
// it was away, in order. An event is acknowledged after every subscriber's
// fn returned; one delivered but not acknowledged (the process died, or the
// server had handed it over just as the instance stopped) comes again after
// AckWait, behind the others. Repeats are dropped by event ID against the
// last DedupeWindow IDs delivered, so a subscriber sees each event once.
//
// Publish returns once the stream stored the event (one round trip). The
// client reconnects on its own; while the server is unreachable Publish
// fails at once with EUNAVAILABLE. The consumer of an instance that never
// returns is deleted by the server after ConsumerTTL of inactivity.
package nats
