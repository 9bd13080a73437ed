package cluster

import (
	"fmt"
	"log/slog"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ListenMode is how workers share the public port.
type ListenMode string

// Listen modes (see the package doc).
const (
	ListenShared    ListenMode = "shared"
	ListenReusePort ListenMode = "reuseport"
)

// RetireSignal tells a worker that a rolling restart replaced it: finish
// and leave without turning the instance's readiness to 503 (see the
// package doc). Workers must listen for it (signal.Notify) before they
// report ready.
const RetireSignal = syscall.SIGUSR1

// Defaults of Config's zero fields.
const (
	DefaultRestartDelay    = time.Second      // CLUSTER_RESTART_DELAY
	DefaultMaxRestarts     = 10               // CLUSTER_MAX_RESTARTS
	DefaultRestartWindow   = 60 * time.Second // window of MaxRestarts
	DefaultShutdownTimeout = 30 * time.Second // CLUSTER_SHUTDOWN_TIMEOUT
	DefaultReadyTimeout    = 30 * time.Second // a starting worker's time to report ready
	DefaultScrapeTimeout   = 5 * time.Second  // gathering one worker's metrics
)

// Config of the primary.
type Config struct {
	Workers         int           // worker slots (>= 1)
	Addr            string        // public host:port the workers serve
	ListenMode      ListenMode    // "" = ListenShared
	RestartDelay    time.Duration // before a slot's restart; 0 = DefaultRestartDelay, < 0 = none
	MaxRestarts     int           // restarts of one slot allowed within RestartWindow; < 0 = DefaultMaxRestarts
	RestartWindow   time.Duration // 0 = DefaultRestartWindow
	ShutdownTimeout time.Duration // grace period on SIGTERM/SIGINT; 0 = DefaultShutdownTimeout
	DrainDelay      time.Duration // a worker's drain delay on SIGTERM (SHUTDOWN_DRAIN_DELAY), added to ShutdownTimeout; 0 = none
	ReadyTimeout    time.Duration // 0 = DefaultReadyTimeout
	ScrapeTimeout   time.Duration // 0 = DefaultScrapeTimeout

	// Command is the worker's argv ([0] is the executable); Env its
	// environment, to which the primary adds the protocol variables.
	Command []string
	Env     []string

	Logger *slog.Logger // nil = slog.Default()
	// Registry receives the cluster_* collectors; its families are served
	// with the workers' in the merged metrics. Nil = a private one.
	Registry *prometheus.Registry
}

func (c *Config) setDefaults() error {
	if c.Workers < 1 {
		return fmt.Errorf("cannot start cluster: %d workers", c.Workers)
	}
	if len(c.Command) == 0 {
		return fmt.Errorf("cannot start cluster: no worker command")
	}
	if c.ListenMode == "" {
		c.ListenMode = ListenShared
	}
	if c.ListenMode != ListenShared && c.ListenMode != ListenReusePort {
		return fmt.Errorf("cannot start cluster: listen mode %q", c.ListenMode)
	}
	c.RestartDelay = orDefault(c.RestartDelay, DefaultRestartDelay)
	if c.RestartDelay < 0 {
		c.RestartDelay = 0
	}
	if c.MaxRestarts < 0 {
		c.MaxRestarts = DefaultMaxRestarts
	}
	c.RestartWindow = orDefault(c.RestartWindow, DefaultRestartWindow)
	c.ShutdownTimeout = orDefault(c.ShutdownTimeout, DefaultShutdownTimeout)
	c.ReadyTimeout = orDefault(c.ReadyTimeout, DefaultReadyTimeout)
	c.ScrapeTimeout = orDefault(c.ScrapeTimeout, DefaultScrapeTimeout)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Registry == nil {
		c.Registry = prometheus.NewRegistry()
	}
	return nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}
