// Package tuning owns the host tuning profiles of EchoSenseiX (kernel,
// open-file limits, Postgres, Redis, load balancer; one data file per tier
// and role under profiles/) and what bin/tune does with them: compute a
// plan for a host (Postgres the way PGTune computes a web database), render
// the files it would write, read the live host, compare it with the plan,
// apply the plan with a backup of everything it replaces, and revert it.
package tuning
