// Package loadgen is the load generator of EchoSenseiX: a raw HTTP/1.1
// client over net.Conn with pre-built requests (so the generator is not the
// bottleneck), closed-loop runs at fixed connection counts (RunFixed, used by
// the bench harness), open-loop runs at a rate (RunRate) that measure latency
// from each request's intended start (no coordinated omission), the tier
// runner (users who log in, hold a realtime socket and load pages every think
// time, plus a signed webhook stream), log-linear histograms mergeable across
// processes, multi-process runs over several source addresses, thresholds,
// reports (JSON, Markdown, self-contained HTML with SVG charts) and compare.
package loadgen
