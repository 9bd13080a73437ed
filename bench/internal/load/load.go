// Package load drives an HTTP server at a fixed number of keep-alive
// connections (closed loop: each connection sends its next request when the
// previous answer is in) and reports throughput, latency percentiles, errors
// and the generator's own CPU. Drivers: Raw (in process, raw sockets, any
// request shape) and Wrk (the wrk binary, for plain GETs).
package load

import (
	"context"
	"time"
)

// Target is one load run: Conns keep-alive connections to Addr for
// Duration. Requests are GETs of Paths (cycled per connection) with Header
// lines ("Name: value"), or, when Body is set, Method (default POST) to
// Paths[0] with the body and extra header lines Body builds per request (seq
// counts from 0 per connection).
type Target struct {
	Addr     string // host:port
	Conns    int
	Duration time.Duration
	Method   string
	Paths    []string
	Header   []string
	Body     func(conn int, seq uint64) (body []byte, header []string)
}

// Result is what a run measured. Requests counts answered requests (any
// status); Non2xx those with a status outside 200-299; Errors socket errors
// and timeouts. GenCPU is the load generator's user+system CPU during the run.
type Result struct {
	Requests int64
	Non2xx   int64
	Errors   int64
	Elapsed  time.Duration
	P50      time.Duration
	P90      time.Duration
	P99      time.Duration
	GenCPU   time.Duration
}

// RPS is answered requests per second.
func (r Result) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Driver runs a Target.
type Driver interface {
	Name() string
	// CanRun reports whether the driver can produce t's requests.
	CanRun(t Target) bool
	Run(ctx context.Context, t Target) (Result, error)
}

// builder returns the function that appends the next raw request of t.
func builder(t Target) func(buf []byte, conn int, seq uint64) []byte {
	if t.Body != nil {
		method := t.Method
		if method == "" {
			method = "POST"
		}
		return func(buf []byte, conn int, seq uint64) []byte {
			body, extra := t.Body(conn, seq)
			return AppendRequest(buf, method, t.Addr, t.Paths[0], append(t.Header[:len(t.Header):len(t.Header)], extra...), body)
		}
	}
	reqs := make([][]byte, len(t.Paths))
	for i, p := range t.Paths {
		reqs[i] = AppendRequest(nil, "GET", t.Addr, p, t.Header, nil)
	}
	return func(buf []byte, _ int, seq uint64) []byte {
		return append(buf, reqs[seq%uint64(len(reqs))]...)
	}
}

// AppendRequest appends a raw HTTP/1.1 keep-alive request to buf.
func AppendRequest(buf []byte, method, host, path string, header []string, body []byte) []byte {
	buf = append(buf, method...)
	buf = append(buf, ' ')
	buf = append(buf, path...)
	buf = append(buf, " HTTP/1.1\r\nHost: "...)
	buf = append(buf, host...)
	buf = append(buf, "\r\n"...)
	for _, h := range header {
		buf = append(buf, h...)
		buf = append(buf, "\r\n"...)
	}
	if body != nil || method == "POST" {
		buf = append(buf, "Content-Length: "...)
		buf = appendInt(buf, len(body))
		buf = append(buf, "\r\n"...)
	}
	buf = append(buf, "\r\n"...)
	return append(buf, body...)
}

func appendInt(buf []byte, n int) []byte {
	if n == 0 {
		return append(buf, '0')
	}
	var tmp [20]byte
	i := len(tmp)
	for n > 0 {
		i--
		tmp[i] = byte('0' + n%10)
		n /= 10
	}
	return append(buf, tmp[i:]...)
}
