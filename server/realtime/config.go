package realtime

import "time"

// Defaults applied by NewHub to zero Config fields.
const (
	// DefaultMaxMessageSize is the largest client message accepted, in bytes.
	DefaultMaxMessageSize = 4 << 10
	// DefaultWriteTimeout bounds one frame write to one connection.
	DefaultWriteTimeout = 5 * time.Second
	// DefaultPingInterval is how often the server pings every connection.
	DefaultPingInterval = 30 * time.Second
	// DefaultPongTimeout is how long after a ping a silent connection lives.
	DefaultPongTimeout = 10 * time.Second
	// DefaultSendQueue is how many broadcast frames a connection may lag
	// behind its organization before it is dropped as too slow.
	DefaultSendQueue = 64
	// DefaultWriters is the size of the writer goroutine pool.
	DefaultWriters = 64
)

// Config tunes a Hub. Zero fields take the Default* values.
type Config struct {
	// AllowedOrigins lists the Origin header values accepted at the
	// handshake besides the request's own host (scheme://host[:port], e.g.
	// "https://app.example.com"); "*" accepts any. Empty: same host only.
	// A mismatch answers 403; a request without Origin (not a browser)
	// passes.
	AllowedOrigins []string
	// MaxMessageSize is the largest client frame payload in bytes (default
	// 4 KiB); a bigger one closes the connection with 1009.
	MaxMessageSize int64
	// WriteTimeout is the write deadline of each frame (default 5 s); a
	// connection whose write times out is closed.
	WriteTimeout time.Duration
	// PingInterval is the heartbeat period (default 30 s).
	PingInterval time.Duration
	// PongTimeout is the grace after a missed heartbeat (default 10 s): a
	// connection that sent nothing for PingInterval+PongTimeout is dropped.
	PongTimeout time.Duration
	// SendQueue bounds, in frames, how far a connection may lag behind its
	// organization's broadcasts (default 64); beyond it the connection is
	// closed with 1013 (try again later).
	SendQueue int
	// MaxUnsentBytes bounds the bytes the kernel may hold for a
	// connection that its client has not accepted (default 128 KiB;
	// negative: no bound, WriteTimeout only); past it the connection is
	// closed with 1013 (backpressure.go).
	MaxUnsentBytes int
	// Writers is the number of writer goroutines shared by every
	// connection of the hub (default 64). A client whose socket buffer is
	// full holds one writer for at most WriteTimeout.
	Writers int
	// Agents checks that a sync_request's agentId is one of the
	// connection's organization's agents before anything is broadcast;
	// nil refuses every sync_request.
	Agents AgentFinder
}

func (c Config) withDefaults() Config {
	if c.MaxMessageSize <= 0 {
		c.MaxMessageSize = DefaultMaxMessageSize
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.PingInterval <= 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.PongTimeout <= 0 {
		c.PongTimeout = DefaultPongTimeout
	}
	if c.SendQueue <= 0 {
		c.SendQueue = DefaultSendQueue
	}
	if c.MaxUnsentBytes == 0 {
		c.MaxUnsentBytes = DefaultMaxUnsentBytes
	}
	if c.Writers <= 0 {
		c.Writers = DefaultWriters
	}
	return c
}
