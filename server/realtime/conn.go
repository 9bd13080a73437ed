package realtime

import (
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudwego/hertz/pkg/network"
	"github.com/gobwas/ws"
)

// statusTryAgainLater is close code 1013 (RFC 6455 registry), which gobwas
// does not name.
const statusTryAgainLater ws.StatusCode = 1013

// closeWriteTimeout bounds the best-effort write of a close frame.
const closeWriteTimeout = 100 * time.Millisecond

// batch is how many frames a writer writes before one flush.
const batch = 16

// conn is one WebSocket connection. Its read loop runs on the hijack
// goroutine; writes come from that goroutine (replies) and from the writer
// pool (broadcasts, pings), serialized by wmu.
type conn struct {
	hub       *Hub
	nc        network.Conn // the socket; never hertz's pooled hijack wrapper if avoidable
	unwrapped bool         // nc is the connection under hertz's wrapper
	userID    string
	session   string // tag of the session it was opened from; empty: none

	org    *org   // set by org.add
	idx    int    // position in org.conns; guarded by org.mu
	cursor uint64 // next ring sequence to write; guarded by org.mu

	scheduled atomic.Bool  // queued on or held by the writer pool
	needPing  atomic.Bool  // the heartbeat wants a ping written
	closed    atomic.Bool  // drop ran or the read loop ended
	lastSeen  atomic.Int64 // hub.now() of the last frame received
	pingAt    atomic.Int64 // hub.now() of the last heartbeat ping queued
	slot      uint8        // heartbeat slice, set by join
	wmu       sync.Mutex
	dead      bool // guarded by wmu: the hijack handler returned
	unsent    int  // guarded by wmu: upper estimate of the bytes the kernel holds unsent (backpressure.go)
	fd        int  // guarded by wmu: socket descriptor + 1; 0 not looked up, -1 none
}

// errDead refuses writes once the hijack handler has returned.
var errDead = errors.New("connection handler returned")

// newConn wraps the hijacked connection.
func newConn(h *Hub, hijacked network.Conn, userID, session string) *conn {
	nc, ok := unwrapHijacked(hijacked)
	return &conn{hub: h, nc: nc, unwrapped: ok, userID: userID, session: session}
}

// release runs when the hijack handler returns: no write happens after it.
func (c *conn) release() {
	c.closed.Store(true)
	c.wmu.Lock()
	c.dead = true
	c.wmu.Unlock()
}

// closeSocket closes the socket from any goroutine, waking the read loop.
func (c *conn) closeSocket() {
	if c.unwrapped {
		_ = c.nc.Close()
		return
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if !c.dead {
		_ = c.nc.Close()
	}
}

// write writes frames and flushes them under one write deadline.
func (c *conn) write(frames ...[]byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	n := 0
	for _, f := range frames {
		n += len(f)
	}
	if !c.admitLocked(n) {
		return errBackpressure
	}
	return c.writeLocked(c.hub.cfg.WriteTimeout, frames...)
}

func (c *conn) writeLocked(timeout time.Duration, frames ...[]byte) error {
	if c.dead {
		return errDead
	}
	if err := c.nc.SetWriteDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	for _, f := range frames {
		if _, err := c.nc.WriteBinary(f); err != nil {
			return err
		}
	}
	return c.nc.Flush()
}

// flush runs on the writer pool: it writes a pending ping and every frame
// the connection is behind, then releases the connection.
func (c *conn) flush() {
	var buf [batch]frame
	var bs [batch][]byte
	for {
		if c.closed.Load() {
			c.scheduled.Store(false)
			return
		}
		if c.needPing.Swap(false) {
			if err := c.write(pingFrame); err != nil {
				c.dropWrite(err)
				return
			}
		}
		frames, ok := c.org.next(c, buf[:])
		if !ok {
			c.drop(statusTryAgainLater, "too slow", ReasonSlow, false)
			return
		}
		if len(frames) == 0 {
			// next cleared scheduled; take it back if a ping arrived since.
			if c.needPing.Load() && c.scheduled.CompareAndSwap(false, true) {
				continue
			}
			return
		}
		for i, f := range frames {
			bs[i] = f.b
		}
		if err := c.write(bs[:len(frames)]...); err != nil {
			c.dropWrite(err)
			return
		}
		c.observe(frames)
		clear(buf[:])
		clear(bs[:])
	}
}

// observe records written broadcast frames.
func (c *conn) observe(frames []frame) {
	m := c.hub.metrics
	m.out.Add(float64(len(frames)))
	now := time.Now()
	for _, f := range frames {
		m.fanout.Observe(now.Sub(f.t).Seconds())
	}
}

// drop closes the connection once, counting why, after a best-effort close
// frame. With wait false it skips the close frame if a write is in flight
// (the write is then failed by the close).
func (c *conn) drop(code ws.StatusCode, reason, why string, wait bool) {
	if !c.closed.CompareAndSwap(false, true) {
		return
	}
	c.hub.metrics.dropped.WithLabelValues(why).Inc()
	locked := true
	if wait {
		c.wmu.Lock()
	} else {
		locked = c.wmu.TryLock()
	}
	if locked {
		_ = c.writeLocked(closeWriteTimeout, closeFrame(code, reason))
		c.wmu.Unlock()
	}
	c.closeSocket()
}

// unwrapHijacked returns the connection under hertz's hijack wrapper. hertz
// hands the handler a pooled wrapper whose Close does nothing (hertz closes
// the socket itself once the handler returns) and which it recycles for
// another connection afterwards. Broadcast writes and drops happen on other
// goroutines, possibly just after the handler returned, so they must use the
// connection underneath: its Close really closes and wakes the read loop,
// and using it after close only fails. ok is false when nc is not hertz's
// wrapper; nc is then used as is.
func unwrapHijacked(nc network.Conn) (inner network.Conn, ok bool) {
	v := reflect.ValueOf(nc)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nc, false
	}
	t := v.Elem().Type()
	if t.PkgPath() != "github.com/cloudwego/hertz/pkg/route" || t.Name() != "hijackConn" {
		return nc, false
	}
	f := v.Elem().FieldByName("Conn")
	if !f.IsValid() || !f.CanInterface() || f.IsNil() {
		return nc, false
	}
	inner, ok = f.Interface().(network.Conn)
	if !ok {
		return nc, false
	}
	return inner, true
}
