package wsload

import (
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// tick is the heartbeat wheel's resolution.
const tick = 100 * time.Millisecond

// wconn is one held socket: a few dozen bytes, no goroutine, no buffer
// unless a frame straddles two reads or a write was short.
type wconn struct {
	fd      int32
	idx     int32  // global connection index
	big     bool   // belongs to organization 0 (ws)
	closed  bool   // by us or by the peer
	events  uint32 // call_completed of this run received
	lastSeq uint32
	sentAt  int64  // http: unix ns of the request in flight; 0 = none
	in      []byte // partial input
	out     []byte // unwritten output
}

// loop owns every socket of the process: one goroutine, one epoll
// descriptor, one read buffer.
type loop struct {
	cfg   *childConfig
	epfd  int
	byFD  map[int32]*wconn
	wheel [][]*wconn
	pos   int
	add   chan *wconn
	buf   []byte
	key   [4]byte
	ping  []byte // masked {"type":"ping"} frame
	req   []byte // http request
	stop  chan uint32
	done  chan struct{}

	held, opened              atomic.Int64
	events, dups, pings, reqs atomic.Uint64

	mu       sync.Mutex // guards what follows
	drops    map[string]int
	httpErrs map[string]int
	lat      Histogram
	perSeq   map[uint32]int // deliveries per event sequence number
	final    status
}

func newLoop(cfg *childConfig) (*loop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	every := cfg.PingEvery
	if cfg.Mode == ModeHTTP {
		every = cfg.HTTPEvery
	}
	l := &loop{cfg: cfg, epfd: epfd, byFD: make(map[int32]*wconn),
		wheel: make([][]*wconn, max(1, int(every/tick))), add: make(chan *wconn, 1024),
		buf: make([]byte, 64<<10), key: [4]byte{0x12, 0x34, 0x56, 0x78}, stop: make(chan uint32, 1),
		done: make(chan struct{}), drops: map[string]int{}, httpErrs: map[string]int{}, perSeq: map[uint32]int{}}
	l.ping = appendClientFrame(nil, opText, []byte(`{"type":"ping"}`), l.key)
	l.req = []byte("GET " + cfg.Path + " HTTP/1.1\r\nHost: " + cfg.Target + "\r\nUser-Agent: wsload\r\n\r\n")
	return l, nil
}

// run is the loop goroutine.
func (l *loop) run() {
	defer close(l.done)
	evs := make([]unix.EpollEvent, 256)
	last := time.Now()
	for {
		n, err := unix.EpollWait(l.epfd, evs, int(tick/time.Millisecond/5))
		if err != nil && !errors.Is(err, unix.EINTR) {
			l.setError("epoll_wait: " + err.Error())
			return
		}
		for _, ev := range evs[:max(n, 0)] {
			c := l.byFD[ev.Fd]
			if c == nil || c.closed {
				continue
			}
			if ev.Events&unix.EPOLLOUT != 0 {
				l.flush(c)
			}
			if ev.Events&(unix.EPOLLIN|unix.EPOLLERR|unix.EPOLLHUP|unix.EPOLLRDHUP) != 0 && !c.closed {
				l.read(c)
			}
		}
	adding:
		for {
			select {
			case c := <-l.add:
				l.register(c)
			default:
				break adding
			}
		}
		for now := time.Now(); now.Sub(last) >= tick; last = last.Add(tick) {
			l.turn(now)
		}
		select {
		case expected := <-l.stop:
			l.finish(expected)
			return
		default:
		}
	}
}

// register adds a handed-over socket to epoll and to a random wheel slot.
func (l *loop) register(c *wconn) {
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: c.fd}
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, int(c.fd), &ev); err != nil {
		_ = unix.Close(int(c.fd))
		l.countDrop("epoll_ctl")
		return
	}
	l.byFD[c.fd] = c
	slot := int(uint32(c.idx)*2654435761) % len(l.wheel)
	l.wheel[slot] = append(l.wheel[slot], c)
	l.held.Add(1)
	l.opened.Add(1)
	if len(c.in) > 0 { // bytes that came with the handshake's answer
		l.consume(c, nil)
	}
}

// turn runs one wheel slot: heartbeat (ws) or request (http) for its
// sockets, and compacts closed ones away.
func (l *loop) turn(now time.Time) {
	slot := l.wheel[l.pos]
	l.pos = (l.pos + 1) % len(l.wheel)
	k := 0
	for _, c := range slot {
		if c.closed {
			continue
		}
		slot[k] = c
		k++
		if l.cfg.Mode == ModeWS {
			l.pings.Add(1)
			l.write(c, l.ping)
			continue
		}
		if c.sentAt != 0 {
			if now.UnixNano()-c.sentAt > int64(l.cfg.Timeout) {
				l.httpError("timeout")
				l.closeConn(c, "")
			}
			continue // the previous request is still in flight
		}
		c.sentAt = now.UnixNano()
		l.write(c, l.req)
	}
	clear(slot[k:])
	l.wheel[(l.pos+len(l.wheel)-1)%len(l.wheel)] = slot[:k]
}

// write writes b, keeping what the socket did not take for EPOLLOUT.
func (l *loop) write(c *wconn, b []byte) {
	if c.closed {
		return
	}
	if len(c.out) > 0 {
		c.out = append(c.out, b...)
		return
	}
	n, err := unix.Write(int(c.fd), b)
	if err != nil && !errors.Is(err, unix.EAGAIN) {
		l.closeConn(c, "write")
		return
	}
	n = max(n, 0)
	if n < len(b) {
		c.out = append([]byte(nil), b[n:]...)
		ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLOUT, Fd: c.fd}
		_ = unix.EpollCtl(l.epfd, unix.EPOLL_CTL_MOD, int(c.fd), &ev)
	}
}

// flush writes pending output once the socket is writable.
func (l *loop) flush(c *wconn) {
	out := c.out
	c.out = nil
	if len(out) == 0 {
		return
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: c.fd}
	_ = unix.EpollCtl(l.epfd, unix.EPOLL_CTL_MOD, int(c.fd), &ev)
	l.write(c, out)
}

// read reads what arrived and handles every whole frame or response.
func (l *loop) read(c *wconn) {
	n, err := unix.Read(int(c.fd), l.buf)
	switch {
	case errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR):
		return
	case err != nil:
		l.closeConn(c, "1006")
		return
	case n == 0:
		l.closeConn(c, "1006") // closed without a close frame
		return
	}
	l.consume(c, l.buf[:n])
}

// consume parses c.in followed by b.
func (l *loop) consume(c *wconn, b []byte) {
	data := b
	if len(c.in) > 0 {
		data = append(c.in, b...)
		c.in = nil
	}
	for len(data) > 0 && !c.closed {
		var n int
		var ok bool
		if l.cfg.Mode == ModeWS {
			n, ok = l.frame(c, data)
		} else {
			n, ok = l.response(c, data)
		}
		if !ok {
			break
		}
		data = data[n:]
	}
	if len(data) > 0 && !c.closed {
		c.in = append([]byte(nil), data...)
	}
}

// frame handles one server frame; ok is false when incomplete.
func (l *loop) frame(c *wconn, b []byte) (int, bool) {
	op, payload, n, ok, err := parseFrame(b)
	if err != nil {
		l.closeConn(c, "protocol")
		return 0, false
	}
	if !ok {
		return 0, false
	}
	switch op {
	case opPing:
		l.write(c, appendClientFrame(nil, opPong, payload, l.key))
	case opClose:
		code := closeCode(payload)
		l.write(c, appendClientFrame(nil, opClose, payload[:min(2, len(payload))], l.key))
		l.closeConn(c, strconv.Itoa(code))
	case opText:
		if seq, sent, ok := parseCallCompleted(payload, l.cfg.Run); ok {
			l.events.Add(1)
			if c.events > 0 && seq <= c.lastSeq {
				l.dups.Add(1)
			}
			c.events++
			c.lastSeq = seq
			d := time.Duration(time.Now().UnixNano() - sent)
			l.mu.Lock()
			l.lat.Record(d)
			l.perSeq[seq]++
			l.mu.Unlock()
		}
	}
	return n, true
}

// response handles one HTTP response; ok is false when incomplete.
func (l *loop) response(c *wconn, b []byte) (int, bool) {
	st, n, ok, err := parseResponse(b)
	if err != nil {
		l.httpError("malformed")
		l.closeConn(c, "protocol")
		return 0, false
	}
	if !ok {
		return 0, false
	}
	if c.sentAt == 0 {
		l.httpError("unsolicited")
	} else {
		d := time.Duration(time.Now().UnixNano() - c.sentAt)
		c.sentAt = 0
		l.reqs.Add(1)
		l.mu.Lock()
		l.lat.Record(d)
		l.mu.Unlock()
	}
	if st != 200 {
		l.httpError("status " + strconv.Itoa(st))
	}
	return n, true
}

// closeConn closes c; a non-empty why counts an unexpected drop.
func (l *loop) closeConn(c *wconn, why string) {
	if c.closed {
		return
	}
	c.closed = true
	c.in, c.out = nil, nil
	delete(l.byFD, c.fd)
	_ = unix.Close(int(c.fd))
	l.held.Add(-1)
	if why != "" {
		if l.cfg.Mode == ModeHTTP && why != "protocol" {
			l.httpError("closed by server")
		}
		l.countDrop(why)
	}
}

func (l *loop) countDrop(why string) {
	l.mu.Lock()
	l.drops[why]++
	l.mu.Unlock()
}

func (l *loop) httpError(kind string) {
	l.mu.Lock()
	l.httpErrs[kind]++
	l.mu.Unlock()
}

func (l *loop) setError(msg string) {
	l.mu.Lock()
	l.final.Error = msg
	l.mu.Unlock()
}

// finish closes every socket on purpose (close 1000 in ws mode) and
// records, for the big organization's sockets, the events each missed.
func (l *loop) finish(expected uint32) {
	f := status{Final: true, Received: map[string]int{}}
	bye := appendClientFrame(nil, opClose, []byte{0x03, 0xe8}, l.key)
	for _, c := range l.byFD {
		if c.big {
			f.BigConns++
			f.Received[strconv.Itoa(int(c.events))]++
			if c.events < expected {
				f.Missing += uint64(expected - c.events)
				f.ConnsShort++
			}
		}
		if l.cfg.Mode == ModeWS {
			_, _ = unix.Write(int(c.fd), bye)
		}
	}
	for _, c := range l.byFD {
		l.closeConn(c, "")
	}
	l.mu.Lock()
	f.Error = l.final.Error
	f.PerSeq = make(map[string]int, len(l.perSeq))
	for seq, n := range l.perSeq {
		f.PerSeq[strconv.FormatUint(uint64(seq), 10)] = n
	}
	l.final = f
	l.mu.Unlock()
	_ = unix.Close(l.epfd)
}

// snapshot answers the cumulative status.
func (l *loop) snapshot() status {
	s := status{Held: int(l.held.Load()), Opened: int(l.opened.Load()), Events: l.events.Load(),
		Dups: l.dups.Load(), PingsSent: l.pings.Load(), Requests: l.reqs.Load()}
	l.mu.Lock()
	defer l.mu.Unlock()
	s.Drops = copyMap(l.drops)
	s.HTTPErrors = copyMap(l.httpErrs)
	s.Latency = l.lat.Clone()
	s.Error = l.final.Error
	return s
}

func copyMap(m map[string]int) map[string]int {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
