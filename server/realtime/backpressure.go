package realtime

import (
	"errors"

	hznetpoll "github.com/cloudwego/hertz/pkg/network/netpoll"
	"github.com/gobwas/ws"
	"golang.org/x/sys/unix"
)

// Back-pressure by bytes.
//
// SendQueue counts frames not yet handed to the socket; a client that stops
// reading still takes them until the kernel's send buffer, which Linux
// grows on its own up to net.ipv4.tcp_wmem's maximum (megabytes), is full:
// hundreds of kilobytes of kernel memory per socket before a write blocks
// and WriteTimeout runs. MaxUnsentBytes bounds that: before a write the
// connection checks how many bytes the kernel holds that the peer has not
// accepted (SIOCOUTQNSD: written but not yet sent, which is where the bytes
// of a peer advertising a zero window wait; bytes in flight to a reading
// peer on a long path are not counted). Past the bound the connection is
// closed with 1013 and counted as ws_dropped_total{reason="backpressure"}.
//
// The ioctl is not paid per write: the connection keeps an upper estimate
// of the unsent bytes (the last measure plus everything written since) and
// measures only when the estimate passes the bound, so a client that reads
// costs one ioctl per MaxUnsentBytes written.

// DefaultMaxUnsentBytes is the default of Config.MaxUnsentBytes.
const DefaultMaxUnsentBytes = 128 << 10

// ReasonBackpressure is the drop reason of a client past MaxUnsentBytes.
const ReasonBackpressure = "backpressure"

// errBackpressure refuses a write to a client that does not read.
var errBackpressure = errors.New("client not reading: unsent bytes past the bound")

// admitLocked answers whether n more bytes may be written to c. c.wmu held.
func (c *conn) admitLocked(n int) bool {
	limit := c.hub.cfg.MaxUnsentBytes
	if limit <= 0 {
		return true
	}
	c.unsent += n
	if c.unsent <= limit {
		return true
	}
	fd := c.socketFD()
	if fd < 0 {
		c.unsent = 0 // cannot measure: WriteTimeout is the bound
		return true
	}
	q, err := unix.IoctlGetInt(fd, unix.SIOCOUTQNSD)
	if err != nil {
		c.unsent = 0
		return true
	}
	c.unsent = q + n
	return c.unsent <= limit
}

// socketFD answers the socket's descriptor, or -1. c.wmu held.
func (c *conn) socketFD() int {
	if c.fd == 0 {
		c.fd = -1
		nc := any(c.nc)
		if hc, ok := nc.(*hznetpoll.Conn); ok {
			nc = hc.Conn
		}
		if f, ok := nc.(interface{ Fd() int }); ok {
			c.fd = f.Fd() + 1
		}
	}
	if c.fd < 0 {
		return -1
	}
	return c.fd - 1
}

// dropWrite drops c after a failed write: 1013 when its client does not
// read, 1001 when the write itself failed.
func (c *conn) dropWrite(err error) {
	if errors.Is(err, errBackpressure) {
		c.drop(statusTryAgainLater, "too slow", ReasonBackpressure, false)
		return
	}
	c.drop(ws.StatusGoingAway, "", ReasonWrite, false)
}
