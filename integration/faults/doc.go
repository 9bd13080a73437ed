// Package faults holds the fault scenarios of a deployment as the guide
// draws it: three echosenseix processes behind nginx or haproxy (run from
// deploy/'s own files through integration/lb), sharing one Postgres and one
// Redis, with load running through the balancer while an instance is
// restarted or killed, Redis or Postgres goes away, or a fault-injecting
// TCP proxy (toxiproxy, embedded) slows or cuts their connections, or
// abusive clients (slowloris, non-reading WebSockets, a login burst past
// capacity) arrive beside the normal ones.
//
// Every scenario asserts what the clients saw and what is stored: post-call
// webhooks go through a durability ledger (signed, unique conversation ids,
// 2xx acks recorded, the rest retried as a sender would, then compared with
// Postgres: every acked call once, no duplicates, nothing else), accepted
// documents must each be processed, realtime clients must reconnect.
// Each scenario prints one summary line (and appends it to $FAULTS_SUMMARY
// when set): requests sent, failures, the ledger's result and, where
// measured, the cache staleness bound.
package faults
