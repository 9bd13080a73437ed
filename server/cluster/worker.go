package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"golang.org/x/sys/unix"
)

// Worker is the worker side of the protocol: a process started by a
// Primary. WorkerFromEnv builds it.
type Worker struct {
	Slot int
	dir  string
	mode ListenMode

	readyOnce sync.Once
	local     *http.Server
}

// WorkerFromEnv answers the Worker when this process was started by a
// Primary (getenv is os.Getenv in cmd), nil otherwise.
func WorkerFromEnv(getenv func(string) string) (*Worker, error) {
	s := getenv(EnvSlot)
	if s == "" {
		return nil, nil
	}
	slot, err := strconv.Atoi(s)
	if err != nil || slot < 0 {
		return nil, fmt.Errorf("cannot start worker: %s=%q", EnvSlot, s)
	}
	w := &Worker{Slot: slot, dir: getenv(EnvDir), mode: ListenMode(getenv(EnvListen))}
	if w.dir == "" || (w.mode != ListenShared && w.mode != ListenReusePort) {
		return nil, fmt.Errorf("cannot start worker: %s or %s missing", EnvDir, EnvListen)
	}
	return w, nil
}

// Listen answers the public listener: the primary's shared socket (fd 4),
// or a new SO_REUSEPORT socket on addr.
func (w *Worker) Listen(addr string) (net.Listener, error) {
	if w.mode == ListenShared {
		f := os.NewFile(listenerFD, "cluster-listener")
		ln, err := net.FileListener(f)
		f.Close() // FileListener dups it
		if err != nil {
			return nil, fmt.Errorf("cannot use the shared listener: %w", err)
		}
		return ln, nil
	}
	return ReusePortListener(context.Background(), addr)
}

// ReusePortListener binds addr with SO_REUSEPORT set.
func ReusePortListener(ctx context.Context, addr string) (net.Listener, error) {
	lc := net.ListenConfig{Control: func(network, address string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
		})
		return errors.Join(err, serr, deferAccept(network, address, c))
	}}
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s with SO_REUSEPORT: %w", addr, err)
	}
	return ln, nil
}

// ServeLocal serves g (this process's own registry) to the primary on the
// worker's private unix socket. Call it before Ready.
func (w *Worker) ServeLocal(g prometheus.Gatherer) error {
	path := workerSocket(w.dir, os.Getpid())
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("cannot listen on worker metrics socket: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(rw http.ResponseWriter, _ *http.Request) {
		fams, err := g.Gather()
		if err != nil && len(fams) == 0 {
			http.Error(rw, err.Error(), http.StatusInternalServerError)
			return
		}
		rw.Header().Set("Content-Type", string(protoFormat))
		_ = writeFamilies(rw, fams)
	})
	w.local = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = w.local.Serve(ln) }()
	return nil
}

// Ready tells the primary this worker serves (once).
func (w *Worker) Ready() error {
	var err error
	w.readyOnce.Do(func() {
		f := os.NewFile(readyFD, "cluster-ready")
		defer f.Close()
		_, err = f.Write([]byte{'R'})
	})
	if err != nil {
		return fmt.Errorf("cannot report readiness: %w", err)
	}
	return nil
}

// Close stops the private socket.
func (w *Worker) Close() error {
	if w.local == nil {
		return nil
	}
	err := w.local.Close()
	_ = os.Remove(workerSocket(w.dir, os.Getpid()))
	return err
}

// Gatherer answers the cluster-wide metrics, gathered by the primary; serve
// it on the public /metrics.
func (w *Worker) Gatherer() prometheus.Gatherer {
	c := unixClient(primarySocket(w.dir), 2*DefaultScrapeTimeout)
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		resp, err := c.Get("http://primary/metrics")
		if err != nil {
			return nil, fmt.Errorf("cannot gather cluster metrics: %w", err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("cannot gather cluster metrics: primary answered %s", resp.Status)
		}
		return readFamilies(resp.Body)
	})
}

// Workers asks the primary for the status of every slot (/health detail).
func (w *Worker) Workers(ctx context.Context) ([]WorkerStatus, error) {
	c := unixClient(primarySocket(w.dir), 2*time.Second)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://primary/workers", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot get cluster workers: %w", err)
	}
	defer resp.Body.Close()
	var out []WorkerStatus
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("cannot decode cluster workers: %w", err)
	}
	return out, nil
}

// deferAccept sets TCP_DEFER_ACCEPT: accept() returns a connection only once
// its first bytes arrived. A worker that stops (rolling restart, shutdown)
// closes the connections it accepted that hold no unread request; with
// deferred accept a just-accepted connection already has its request
// waiting, which narrows that window to the poller's next turn.
func deferAccept(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_DEFER_ACCEPT, 1)
	})
	return errors.Join(err, serr)
}

// Listen binds addr as the primary's shared socket is bound (with
// TCP_DEFER_ACCEPT): the listener of a single, unclustered process.
func Listen(ctx context.Context, addr string) (net.Listener, error) {
	lc := net.ListenConfig{Control: deferAccept}
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	return ln, nil
}
