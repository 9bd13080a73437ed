package hostcheck

// Fixed costs in open files that every process has besides its clients.
const (
	// FDHeadroom covers listeners, epoll and timer fds, pipes to the
	// cluster primary, log files and the Redis connections.
	FDHeadroom = 64
	// MaxBacklog is the largest accept queue Linux grants (somaxconn is
	// read as a u16 by kernels before 4.1 and capped there by Go).
	MaxBacklog = 65535
)

// Config is the part of the server's configuration the host must carry.
type Config struct {
	Tier Tier
	// Processes serving the port: cluster workers, or 1.
	Processes int
	// SharedListener: every process accepts from one socket (cluster
	// "shared" mode, or a single process); false for SO_REUSEPORT, where
	// each process has its own accept queue.
	SharedListener bool
	// PoolConns is the Postgres pool of the whole server (shared among
	// the processes).
	PoolConns int
}

// Needs are the host figures the configuration implies.
type Needs struct {
	ProcessFiles int // open files one process holds at full load
	HostFiles    int // open files of all the server's processes
	Backlog      int // connections one accept queue must hold
}

// NeedsOf derives the figures: a process holds its share of the tier's
// connections, its share of the pool and FDHeadroom; an accept queue must
// take every connection of its listener arriving at once (clients
// reconnecting after a restart), up to MaxBacklog.
func NeedsOf(c Config) Needs {
	p := max(c.Processes, 1)
	conns := c.Tier.Connections()
	perProc := ceilDiv(conns, p) + ceilDiv(c.PoolConns, p) + FDHeadroom
	perQueue := conns
	if !c.SharedListener {
		perQueue = ceilDiv(conns, p)
	}
	return Needs{ProcessFiles: perProc, HostFiles: perProc * p, Backlog: min(perQueue, MaxBacklog)}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
