package realtime

import (
	"fmt"

	"github.com/cloudwego/netpoll"
)

// DefaultNetpollBuffer is the per-connection buffer size, in bytes, that
// TuneNetpoll sets for the 100k-connection tier.
const DefaultNetpollBuffer = 1024

// TuneNetpoll shrinks netpoll's per-connection buffers, process-wide, to
// size bytes (DefaultNetpollBuffer when size <= 0). By default every netpoll
// connection holds an 8 KiB input and a 4 KiB output buffer node for its
// whole life, which alone is most of the 16 KB-per-connection budget of a
// held WebSocket; buffers still grow on demand for larger requests. Call it
// from cmd before the server starts (netpoll reads it at each accept).
func TuneNetpoll(size int) error {
	if size <= 0 {
		size = DefaultNetpollBuffer
	}
	if err := netpoll.Configure(netpoll.Config{BufferSize: size, LoadBalance: netpoll.RoundRobin}); err != nil {
		return fmt.Errorf("cannot configure netpoll: %w", err)
	}
	netpoll.LinkBufferCap = size
	return nil
}
