// Package e2e holds the single-instance end-to-end suites: the real
// echosenseix binary (built once through internal/testbin) run as a process
// on free ports. Start-up failures and the migrate and seed commands, the
// cluster of workers (crash, SIGTERM, SIGHUP, metrics totals), the admin
// and pprof listeners, hardening, the host check under prlimit, the
// dedicated realtime port, bounded memory on large bodies, RabbitMQ and
// NATS providers, and a webhook traced to an OTLP receiver. The tests skip
// under -short.
package e2e
