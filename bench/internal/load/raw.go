package load

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/echosenseix/echosenseix/internal/hist"
	"github.com/echosenseix/echosenseix/internal/proc"
)

// Raw is the in-process driver: one goroutine per connection over a raw
// socket, a pre-built request per send and a minimal response parser
// (status line, Content-Length or chunked body). Its CPU is this process's.
type Raw struct {
	// Timeout bounds one request; a timed-out connection is redialled.
	// Default 10 s.
	Timeout time.Duration
}

// Name implements Driver.
func (Raw) Name() string { return "raw" }

// CanRun implements Driver.
func (Raw) CanRun(t Target) bool { return len(t.Paths) > 0 }

// Run implements Driver.
func (d Raw) Run(ctx context.Context, t Target) (Result, error) {
	if t.Conns <= 0 || t.Duration <= 0 || len(t.Paths) == 0 {
		return Result{}, fmt.Errorf("cannot run load: conns %d, duration %v, %d paths", t.Conns, t.Duration, len(t.Paths))
	}
	build := builder(t)
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, t.Duration)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		total    = hist.New()
		requests atomic.Int64
		non2xx   atomic.Int64
		errs     atomic.Int64
	)
	cpu0 := proc.SelfCPU()
	start := time.Now()
	for c := 0; c < t.Conns; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			w := &rawConn{addr: t.Addr, build: build, conn: c, timeout: timeout, h: hist.New()}
			w.loop(ctx)
			requests.Add(w.requests)
			non2xx.Add(w.non2xx)
			errs.Add(w.errors)
			mu.Lock()
			total.Merge(w.h)
			mu.Unlock()
		}(c)
	}
	wg.Wait()
	r := Result{Requests: requests.Load(), Non2xx: non2xx.Load(), Errors: errs.Load(),
		Elapsed: time.Since(start), GenCPU: proc.SelfCPU() - cpu0,
		P50: quantile(total, 0.50), P90: quantile(total, 0.90), P99: quantile(total, 0.99)}
	return r, nil
}

type rawConn struct {
	addr    string
	build   func([]byte, int, uint64) []byte
	conn    int
	timeout time.Duration

	nc       net.Conn
	br       *bufio.Reader
	buf      []byte
	seq      uint64
	h        *hist.Histogram
	requests int64
	non2xx   int64
	errors   int64
}

func (w *rawConn) loop(ctx context.Context) {
	defer func() {
		if w.nc != nil {
			w.nc.Close()
		}
	}()
	stop := context.AfterFunc(ctx, func() {
		// Unblock a read in flight at the deadline; that request is not counted.
		if nc := w.current(); nc != nil {
			_ = nc.SetDeadline(time.Now())
		}
	})
	defer stop()
	for ctx.Err() == nil {
		if err := w.one(); err != nil {
			if ctx.Err() != nil {
				return
			}
			w.errors++
			w.close()
			select { // back off a little so a refusing server is not spun on
			case <-ctx.Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
}

var connMu sync.Mutex // guards rawConn.nc swaps against the AfterFunc reader

func (w *rawConn) current() net.Conn {
	connMu.Lock()
	defer connMu.Unlock()
	return w.nc
}

func (w *rawConn) close() {
	connMu.Lock()
	if w.nc != nil {
		w.nc.Close()
		w.nc = nil
	}
	connMu.Unlock()
}

func (w *rawConn) one() error {
	if w.nc == nil {
		nc, err := net.DialTimeout("tcp", w.addr, w.timeout)
		if err != nil {
			return err
		}
		connMu.Lock()
		w.nc = nc
		connMu.Unlock()
		if w.br == nil {
			w.br = bufio.NewReaderSize(nc, 16<<10)
		} else {
			w.br.Reset(nc)
		}
	}
	w.buf = w.build(w.buf[:0], w.conn, w.seq)
	w.seq++
	start := time.Now()
	_ = w.nc.SetDeadline(start.Add(w.timeout))
	if _, err := w.nc.Write(w.buf); err != nil {
		return err
	}
	status, closeAfter, err := readResponse(w.br)
	if err != nil {
		return err
	}
	w.h.Record(time.Since(start))
	w.requests++
	if status < 200 || status > 299 {
		w.non2xx++
	}
	if closeAfter {
		w.close()
	}
	return nil
}

var errMalformed = errors.New("malformed HTTP response")

// readResponse reads one response and discards its body; it answers the
// status and whether the server asked to close the connection.
func readResponse(br *bufio.Reader) (status int, closeAfter bool, err error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, false, errMalformed
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, false, errMalformed
	}
	length, chunked := -1, false
	for {
		line, err = br.ReadSlice('\n')
		if err != nil {
			return 0, false, err
		}
		if len(line) <= 2 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil {
				return 0, false, errMalformed
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			closeAfter = bytes.EqualFold(value, []byte("close"))
		}
	}
	switch {
	case chunked:
		err = skipChunked(br)
	case length > 0:
		_, err = br.Discard(length)
	case length < 0 && status != 204 && status != 304:
		return status, true, nil // body until close: drop the connection
	}
	return status, closeAfter, err
}

func skipChunked(br *bufio.Reader) error {
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		size, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.SplitN(line, []byte(";"), 2)[0])), 16, 64)
		if err != nil {
			return errMalformed
		}
		if size == 0 {
			for { // trailers until the empty line
				line, err = br.ReadSlice('\n')
				if err != nil {
					return err
				}
				if len(line) <= 2 {
					return nil
				}
			}
		}
		if _, err := br.Discard(int(size) + 2); err != nil {
			if err == io.EOF {
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
}

// quantile is h's q-quantile as a duration.
func quantile(h *hist.Histogram, q float64) time.Duration {
	return time.Duration(h.Quantile(q) * float64(time.Microsecond))
}
