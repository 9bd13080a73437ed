package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Errors Run answers.
var (
	ErrNoWorkers       = errors.New("cluster: every worker slot was given up")
	ErrShutdownTimeout = errors.New("cluster: workers still running when the shutdown timeout passed")
	ErrForced          = errors.New("cluster: second signal, workers killed")
)

// Primary supervises the worker slots.
type Primary struct {
	cfg    Config
	log    *slog.Logger
	dir    string
	ln     net.Listener // shared mode
	lnFile *os.File     // shared mode: the descriptor handed to workers
	m      *metrics

	mu    sync.Mutex
	slots []*slot
	live  map[int]*proc // every running process, by pid

	stopping chan struct{} // closed when shutdown starts
	stopOnce sync.Once
	slotsWG  sync.WaitGroup
	rolling  sync.Mutex
}

// New prepares a primary: it creates the private socket directory and, in
// ListenShared mode, opens the public listener (so a busy port fails here).
func New(cfg Config) (*Primary, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "echosenseix-cluster-")
	if err != nil {
		return nil, fmt.Errorf("cannot create cluster socket dir: %w", err)
	}
	p := &Primary{cfg: cfg, log: cfg.Logger, dir: dir, live: map[int]*proc{},
		stopping: make(chan struct{})}
	if cfg.ListenMode == ListenShared {
		if err := p.openShared(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	p.m = newMetrics(cfg.Registry)
	for i := range cfg.Workers {
		p.slots = append(p.slots, &slot{id: i, roll: make(chan chan error)})
		p.m.restarts.WithLabelValues(strconv.Itoa(i)).Add(0)
		p.m.givenUp.WithLabelValues(strconv.Itoa(i)).Set(0)
	}
	return p, nil
}

func (p *Primary) openShared() error {
	lc := net.ListenConfig{Control: deferAccept}
	ln, err := lc.Listen(context.Background(), "tcp", p.cfg.Addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", p.cfg.Addr, err)
	}
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		ln.Close()
		return fmt.Errorf("cannot get listener descriptor: %w", err)
	}
	p.ln, p.lnFile = ln, f
	return nil
}

// Addr is the shared listener's address (nil in reuseport mode).
func (p *Primary) Addr() net.Addr {
	if p.ln == nil {
		return nil
	}
	return p.ln.Addr()
}

// Run starts every slot and supervises until a shutdown signal (SIGTERM,
// SIGINT) on sigs has been handled, or until no slot is left. SIGHUP rolls
// the workers. It answers nil when every worker left within the shutdown
// timeout, ErrShutdownTimeout or ErrForced otherwise, ErrNoWorkers when every
// slot was given up.
func (p *Primary) Run(sigs <-chan os.Signal) error {
	defer p.cleanup()
	srv, err := p.serveControl()
	if err != nil {
		return err
	}
	defer srv.Close()
	allGone := make(chan struct{})
	for _, s := range p.slots {
		p.slotsWG.Add(1)
		go func() {
			defer p.slotsWG.Done()
			p.runSlot(s)
		}()
	}
	go func() {
		p.slotsWG.Wait()
		close(allGone)
	}()
	p.log.Info("cluster started", "workers", p.cfg.Workers, "listen_mode", p.cfg.ListenMode, "addr", p.cfg.Addr)
	for {
		select {
		case <-allGone:
			p.log.Error("cluster: no worker left; exiting")
			return ErrNoWorkers
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				go p.rollingRestart()
				continue
			}
			return p.shutdown(sig, sigs, allGone)
		}
	}
}

// shutdown forwards sig to every worker and waits for them, up to the
// shutdown timeout (plus the drain delay on SIGTERM); a second
// SIGTERM/SIGINT kills them at once.
func (p *Primary) shutdown(sig os.Signal, sigs <-chan os.Signal, allGone <-chan struct{}) error {
	// Workers drain as one process does: on SIGTERM they keep serving (and
	// answer /health/ready 503) for the drain delay before they close;
	// SIGINT (Ctrl-C) skips the delay.
	grace := p.cfg.ShutdownTimeout
	if sig == syscall.SIGTERM {
		grace += p.cfg.DrainDelay
	}
	p.log.Info("cluster shutting down", "signal", sig.String(), "timeout", grace.String())
	p.stopOnce.Do(func() { close(p.stopping) })
	p.signalAll(sig)
	if p.ln != nil {
		// Workers hold their own copies; the primary no longer needs it.
		p.ln.Close()
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	for {
		select {
		case <-allGone:
			p.log.Info("cluster stopped: every worker left in time")
			return nil
		case <-timer.C:
			n := p.signalAll(syscall.SIGKILL)
			p.log.Error("cluster: shutdown timeout passed; killed workers", "killed", n)
			p.waitGone(allGone)
			return ErrShutdownTimeout
		case s := <-sigs:
			if s == syscall.SIGHUP {
				continue
			}
			n := p.signalAll(syscall.SIGKILL)
			p.log.Error("cluster: second signal; killed workers", "signal", s.String(), "killed", n)
			p.waitGone(allGone)
			return ErrForced
		}
	}
}

// waitGone waits (bounded) for the slot goroutines after SIGKILL.
func (p *Primary) waitGone(allGone <-chan struct{}) {
	select {
	case <-allGone:
	case <-time.After(5 * time.Second):
	}
}

// signalAll sends sig to every live worker and answers how many.
func (p *Primary) signalAll(sig os.Signal) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pr := range p.live {
		pr.signal(sig)
	}
	return len(p.live)
}

func (p *Primary) cleanup() {
	if p.ln != nil {
		p.ln.Close()
		p.lnFile.Close()
	}
	os.RemoveAll(p.dir)
}

func (p *Primary) isStopping() bool {
	select {
	case <-p.stopping:
		return true
	default:
		return false
	}
}

// track adds or removes a live process.
func (p *Primary) track(pr *proc, alive bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if alive {
		p.live[pr.pid] = pr
	} else {
		delete(p.live, pr.pid)
	}
	p.m.workers.Set(float64(len(p.live)))
}
