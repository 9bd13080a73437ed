// Package harness runs the real echosenseix binary for integration suites:
// it builds the binary once per test binary (or takes $ECHOSENSEIX_BIN),
// starts instances on free ports with their logs captured (printed when the
// test fails), waits for /health/ready, stops them with SIGTERM at cleanup
// and checks they exit 0. Helpers seed a database through `echosenseix
// seed`, log in, sign post-call webhooks and parse /metrics.
//
// Postgres and Redis come from internal/stack: stack.Postgres(t) for a
// fresh database and stack.NewRedisServer(t) for a private redis-server (the
// binary has no key-prefix setting, so a private server per test is what
// keeps tests apart). Instances inherit nothing from the test's environment
// but PATH, HOME and TMPDIR: every setting is explicit.
package harness
