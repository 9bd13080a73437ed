// Package rawhttp is the HTTP/1.1 client of the load tools and the bench
// driver: pre-built keep-alive requests over one socket per connection and
// a minimal response parser (status line, Content-Length, chunked, close),
// with failures sorted into counted kinds (connect, timeout, io, protocol).
// It is not net/http: no pooling, redirects or header maps, so a request
// costs one write and one buffered read.
package rawhttp

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"
)

// Error kinds counted by every run (plus "status_NNN" per non-2xx status).
const (
	ErrConnect = "connect"  // dial failed
	ErrTimeout = "timeout"  // no full response within the request timeout
	ErrIO      = "io"       // connection reset or closed mid-request
	ErrParse   = "protocol" // response was not HTTP/1.1 we could read
)

// StatusKind returns the error kind of a non-2xx/3xx status.
func StatusKind(code int) string { return "status_" + strconv.Itoa(code) }

// Target is where requests go: the host:port to dial, the Host header, and
// the local address to dial from (empty: any).
type Target struct {
	Addr      string
	Host      string
	LocalAddr string
}

// ParseTarget returns the target of an http:// URL and its request URI.
func ParseTarget(rawURL string) (Target, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return Target{}, "", fmt.Errorf("cannot parse url %q: %w", rawURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "ws" {
		return Target{}, "", fmt.Errorf("cannot use url %q: only http:// (and ws://) are supported", rawURL)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	return Target{Addr: addr, Host: u.Host}, u.RequestURI(), nil
}

// BuildRequest returns the bytes of an HTTP/1.1 keep-alive request.
func BuildRequest(method string, t Target, uri string, hdr http.Header, body []byte) []byte {
	var b bytes.Buffer
	b.Grow(128 + len(body))
	b.WriteString(method + " " + uri + " HTTP/1.1\r\nHost: " + t.Host + "\r\n")
	for k, vs := range hdr {
		for _, v := range vs {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	if body != nil || method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		b.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n")
	}
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}

// Response is what a Conn read: the status, and when asked for, the
// Set-Cookie headers and the body.
type Response struct {
	Status  int
	Cookies []string
	Body    []byte
}

// Conn is one keep-alive HTTP/1.1 client connection with a minimal response
// parser. It redials after errors. Not safe for concurrent use.
type Conn struct {
	target  Target
	timeout time.Duration
	c       net.Conn
	br      *bufio.Reader
	dialer  net.Dialer
	// Dials counts successful dials (reconnects included).
	Dials int
}

// NewConn returns an unconnected Conn; timeout bounds each request (and dial).
func NewConn(t Target, timeout time.Duration) *Conn {
	c := &Conn{target: t, timeout: timeout}
	c.dialer.Timeout = timeout
	if t.LocalAddr != "" {
		c.dialer.LocalAddr = &net.TCPAddr{IP: net.ParseIP(t.LocalAddr)}
	}
	return c
}

// Connected reports whether the connection is open.
func (c *Conn) Connected() bool { return c.c != nil }

// Close closes the connection.
func (c *Conn) Close() error {
	if c.c == nil {
		return nil
	}
	err := c.c.Close()
	c.c = nil
	return err
}

func (c *Conn) dial(ctx context.Context) error {
	nc, err := c.dialer.DialContext(ctx, "tcp", c.target.Addr)
	if err != nil {
		return err
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	c.c = nc
	if c.br == nil {
		c.br = bufio.NewReaderSize(nc, 16<<10)
	} else {
		c.br.Reset(nc)
	}
	c.Dials++
	return nil
}

// Do sends req and reads the response. With capture it keeps Set-Cookie and
// the body. The error, when not nil, is one of the Err* kinds wrapped in a
// *KindError.
func (c *Conn) Do(ctx context.Context, req []byte, capture bool) (Response, error) {
	if c.c == nil {
		if err := c.dial(ctx); err != nil {
			return Response{}, kindErr(ErrConnect, err)
		}
	}
	if c.timeout > 0 {
		d := time.Now().Add(c.timeout)
		if cd, ok := ctx.Deadline(); ok && cd.Before(d) {
			d = cd // the run ends first: do not outlive it
		}
		_ = c.c.SetDeadline(d)
	}
	if _, err := c.c.Write(req); err != nil {
		c.Close()
		return Response{}, classify(err)
	}
	resp, keep, err := readResponse(c.br, capture)
	if err != nil || !keep {
		c.Close()
	}
	if err != nil {
		return Response{}, classify(err)
	}
	return resp, nil
}

// KindError is a request failure of a counted kind.
type KindError struct {
	Kind string
	Err  error
}

func (e *KindError) Error() string { return e.Kind + ": " + e.Err.Error() }
func (e *KindError) Unwrap() error { return e.Err }

func kindErr(kind string, err error) error { return &KindError{Kind: kind, Err: err} }

// ErrorKind returns the counted kind of err ("" for nil).
func ErrorKind(err error) string {
	if err == nil {
		return ""
	}
	var ke *KindError
	if errors.As(err, &ke) {
		return ke.Kind
	}
	return ErrIO
}

var errProtocol = errors.New("malformed response")

func classify(err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return kindErr(ErrTimeout, err)
	case errors.Is(err, errProtocol):
		return kindErr(ErrParse, err)
	}
	return kindErr(ErrIO, err)
}

// readResponse parses one response; keep reports whether the connection may
// be reused.
func readResponse(br *bufio.Reader, capture bool) (resp Response, keep bool, err error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return resp, false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return resp, false, fmt.Errorf("%w: status line %q", errProtocol, line)
	}
	resp.Status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return resp, false, fmt.Errorf("%w: status %q", errProtocol, line[9:12])
	}
	keep = line[7] == '1'
	clen, chunked := -1, false
	for {
		line, err = br.ReadSlice('\n')
		if err != nil {
			return resp, false, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		i := bytes.IndexByte(line, ':')
		if i < 0 {
			return resp, false, fmt.Errorf("%w: header %q", errProtocol, line)
		}
		k, v := line[:i], bytes.TrimSpace(line[i+1:])
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			if clen, err = strconv.Atoi(string(v)); err != nil {
				return resp, false, fmt.Errorf("%w: content-length %q", errProtocol, v)
			}
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			chunked = bytes.Contains(bytes.ToLower(v), []byte("chunked"))
		case bytes.EqualFold(k, []byte("Connection")):
			if bytes.EqualFold(v, []byte("close")) {
				keep = false
			} else if bytes.EqualFold(v, []byte("keep-alive")) {
				keep = true
			}
		case capture && bytes.EqualFold(k, []byte("Set-Cookie")):
			resp.Cookies = append(resp.Cookies, string(v))
		}
	}
	var body bytes.Buffer
	var w io.Writer // nil: discard
	if capture {
		w = &body
	}
	switch {
	case resp.Status == 204 || resp.Status == 304 || resp.Status < 200:
	case chunked:
		err = readChunked(br, w)
	case clen >= 0:
		err = copyN(w, br, int64(clen))
	default:
		if w == nil {
			w = io.Discard
		}
		_, err = io.Copy(w, br)
		keep = false
	}
	if err != nil {
		return resp, false, err
	}
	resp.Body = body.Bytes()
	return resp, keep, nil
}

func readChunked(br *bufio.Reader, w io.Writer) error {
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		line = bytes.TrimRight(line, "\r\n")
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		n, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 64)
		if err != nil {
			return fmt.Errorf("%w: chunk size %q", errProtocol, line)
		}
		if n == 0 {
			for { // trailers up to the empty line
				l, err := br.ReadSlice('\n')
				if err != nil {
					return err
				}
				if len(bytes.TrimRight(l, "\r\n")) == 0 {
					return nil
				}
			}
		}
		if err := copyN(w, br, n); err != nil {
			return err
		}
		if _, err := br.Discard(2); err != nil {
			return err
		}
	}
}

// copyN moves n bytes from br to w, or skips them without allocating when
// w is nil.
func copyN(w io.Writer, br *bufio.Reader, n int64) error {
	if w == nil {
		_, err := br.Discard(int(n))
		return err
	}
	_, err := io.CopyN(w, br, n)
	return err
}
