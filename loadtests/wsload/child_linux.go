package wsload

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// dialAttempts bounds the tries of one connection.
const dialAttempts = 5

// RaiseFileLimit sets the open-file soft limit to the hard limit.
func RaiseFileLimit() (uint64, error) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, fmt.Errorf("cannot read the open-file limit: %w", err)
	}
	if r.Cur < r.Max {
		r.Cur = r.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
			return 0, fmt.Errorf("cannot raise the open-file limit: %w", err)
		}
	}
	return r.Cur, nil
}

// child is one load process.
type child struct {
	cfg  *childConfig
	loop *loop

	mu     sync.RWMutex
	tokens map[string]string
	got    chan struct{} // closed when the first tokens arrived

	dialErrs  sync.Mutex
	nDialErr  int
	handshake map[string]int
}

// ChildMain runs a child process: it dials its share of the plan, holds the
// sockets, reports on stdout and obeys stdin. It answers the exit code.
func ChildMain() int {
	var cfg childConfig
	if err := json.Unmarshal([]byte(os.Getenv(envChild)), &cfg); err != nil {
		fmt.Fprintf(os.Stderr, "wsload child: bad config: %v\n", err)
		return 2
	}
	if _, err := RaiseFileLimit(); err != nil {
		fmt.Fprintf(os.Stderr, "wsload child: %v\n", err)
	}
	l, err := newLoop(&cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "wsload child: cannot create epoll: %v\n", err)
		return 1
	}
	ch := &child{cfg: &cfg, loop: l, tokens: map[string]string{}, got: make(chan struct{}), handshake: map[string]int{}}
	if cfg.Mode == ModeHTTP {
		close(ch.got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.run()
	go ch.dialAll(ctx)
	go ch.commands(cancel)
	out := bufio.NewWriter(os.Stdout)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			_, _ = out.Write(encodeLine(ch.status()))
			_ = out.Flush()
		case <-l.done:
			s := ch.status()
			l.mu.Lock()
			f := l.final
			l.mu.Unlock()
			s.Final, s.Missing, s.ConnsShort, s.BigConns, s.Received, s.PerSeq = true, f.Missing, f.ConnsShort, f.BigConns, f.Received, f.PerSeq
			_, _ = out.Write(encodeLine(s))
			_ = out.Flush()
			return 0
		}
	}
}

// status answers the loop's counters plus the dialers'.
func (ch *child) status() status {
	s := ch.loop.snapshot()
	s.Proc, s.PID = ch.cfg.Proc, os.Getpid()
	ch.dialErrs.Lock()
	s.DialErrors, s.Handshake = ch.nDialErr, copyMap(ch.handshake)
	ch.dialErrs.Unlock()
	return s
}

// commands reads the coordinator's lines; EOF (coordinator gone) stops.
func (ch *child) commands(cancel context.CancelFunc) {
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	first := true
	for sc.Scan() {
		var c command
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			continue
		}
		if len(c.Tokens) > 0 {
			ch.mu.Lock()
			for k, v := range c.Tokens {
				ch.tokens[k] = v
			}
			ch.mu.Unlock()
			if first && ch.cfg.Mode == ModeWS {
				close(ch.got)
				first = false
			}
		}
		if c.Stop {
			cancel()
			ch.loop.stop <- c.Expected
			return
		}
	}
	cancel()
	ch.loop.stop <- 0
}

// dialAll dials this process's connections at cfg.Rate with cfg.Dialers
// goroutines.
func (ch *child) dialAll(ctx context.Context) {
	select {
	case <-ch.got:
	case <-ctx.Done():
		return
	}
	idx := ch.cfg.Plan.ProcConns(ch.cfg.Proc)
	work := make(chan int)
	var wg sync.WaitGroup
	for range max(1, ch.cfg.Dialers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				ch.dialOne(ctx, i)
			}
		}()
	}
	start := time.Now()
	for k, i := range idx {
		due := start.Add(time.Duration(float64(k) / ch.cfg.Rate * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			break
		}
		select {
		case work <- i:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
}

// dialOne establishes connection i, retrying with backoff.
func (ch *child) dialOne(ctx context.Context, i int) {
	spec := ch.cfg.Plan.Spec(i)
	for attempt := range dialAttempts {
		if ctx.Err() != nil {
			return
		}
		c, err := ch.connect(ctx, i, spec)
		if err == nil {
			select {
			case ch.loop.add <- c:
			case <-ctx.Done():
				_ = unix.Close(int(c.fd))
			}
			return
		}
		ch.dialErrs.Lock()
		ch.nDialErr++
		var he *handshakeError
		if errors.As(err, &he) {
			ch.handshake[strconv.Itoa(he.status)]++
		} else {
			ch.handshake["dial: "+shortErr(err)]++
		}
		ch.dialErrs.Unlock()
		select {
		case <-time.After(time.Duration(attempt+1) * time.Second):
		case <-ctx.Done():
		}
	}
}

// shortErr answers the kind of a dial error.
func shortErr(err error) string {
	var errno syscall.Errno
	switch {
	case errors.As(err, &errno):
		return errno.Error()
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	}
	return "other"
}

type handshakeError struct{ status int }

func (e *handshakeError) Error() string { return fmt.Sprintf("handshake refused: HTTP %d", e.status) }

// connect dials, upgrades (ws) and answers the socket detached from the Go
// runtime: a non-blocking duplicate descriptor for the epoll loop.
func (ch *child) connect(ctx context.Context, i int, spec ConnSpec) (*wconn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(spec.Addr)}, Timeout: ch.cfg.Timeout}
	nc, err := d.DialContext(ctx, "tcp", ch.cfg.Target)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	tc := nc.(*net.TCPConn)
	c := &wconn{idx: int32(i), big: spec.Org == 0}
	if ch.cfg.Mode == ModeWS {
		if c.in, err = ch.upgrade(tc, spec); err != nil {
			return nil, err
		}
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return nil, err
	}
	var fd int
	var derr error
	if err := raw.Control(func(s uintptr) { fd, derr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, derr
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		_ = unix.Close(fd)
		return nil, err
	}
	c.fd = int32(fd)
	return c, nil
}

// upgrade does the WebSocket handshake with the user's current token; it
// answers the bytes that followed the 101 head.
func (ch *child) upgrade(tc *net.TCPConn, spec ConnSpec) ([]byte, error) {
	ch.mu.RLock()
	tok := ch.tokens[TokenKey(spec.Org, spec.User)]
	ch.mu.RUnlock()
	var kb [16]byte
	_, _ = rand.Read(kb[:])
	key := base64.StdEncoding.EncodeToString(kb[:])
	sep := "?"
	if bytes.ContainsRune([]byte(ch.cfg.Path), '?') {
		sep = "&"
	}
	req := "GET " + ch.cfg.Path + sep + "token=" + tok + " HTTP/1.1\r\nHost: " + ch.cfg.Target +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
		"\r\nSec-WebSocket-Version: 13\r\n\r\n"
	_ = tc.SetDeadline(time.Now().Add(ch.cfg.Timeout))
	if _, err := tc.Write([]byte(req)); err != nil {
		return nil, err
	}
	buf := make([]byte, 0, 1024)
	for {
		if len(buf) == cap(buf) {
			return nil, errBadResponse
		}
		n, err := tc.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if end := bytes.Index(buf, []byte("\r\n\r\n")); end >= 0 {
			head := buf[:end]
			if len(head) < 12 || !bytes.HasPrefix(head, []byte("HTTP/1.1 ")) {
				return nil, errBadResponse
			}
			st, _ := strconv.Atoi(string(head[9:12]))
			if st != 101 {
				return nil, &handshakeError{status: st}
			}
			if !bytes.Contains(head, []byte(acceptFor(key))) {
				return nil, errors.New("bad Sec-WebSocket-Accept")
			}
			_ = tc.SetDeadline(time.Time{})
			if rest := buf[end+4:]; len(rest) > 0 {
				return append([]byte(nil), rest...), nil
			}
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func acceptFor(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}
