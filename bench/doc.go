// Package bench holds the benchmarks that span packages (JSON with sonic vs
// encoding/json on the real payloads, in json_test.go) and the `make bench`
// harness: cmd/benchrun runs every micro benchmark next to the code and the
// macro benchmarks over HTTP against peers (nginx, the net/http peer in
// peer/, redis-benchmark, pgbench) and writes one table of ratios.
package bench
