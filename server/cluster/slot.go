package cluster

import (
	"errors"
	"fmt"
	"strconv"
	"syscall"
	"time"
)

// Slot states reported by Workers.
const (
	StateStarting   = "starting"   // spawned, not ready yet
	StateReady      = "ready"      // serving
	StateRestarting = "restarting" // exited; waiting CLUSTER_RESTART_DELAY
	StateGivenUp    = "given_up"   // restarted too often; no longer restarted
	StateStopping   = "stopping"   // shutdown forwarded
	StateStopped    = "stopped"    // exited during shutdown
)

// slot is one worker position: its current process, its restart history.
// Fields other than roll are guarded by Primary.mu.
type slot struct {
	id       int
	cur      *proc
	state    string
	restarts int         // total restarts of this slot
	recent   []time.Time // restarts within the window
	roll     chan chan error
}

// WorkerStatus is one slot in /health's detail.
type WorkerStatus struct {
	Slot     int    `json:"slot"`
	PID      int    `json:"pid"`
	Restarts int    `json:"restarts"`
	State    string `json:"state"`
	Since    string `json:"since,omitempty"` // start of the current process, RFC 3339
}

// Workers reports every slot.
func (p *Primary) Workers() []WorkerStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]WorkerStatus, 0, len(p.slots))
	for _, s := range p.slots {
		ws := WorkerStatus{Slot: s.id, Restarts: s.restarts, State: s.state}
		if s.cur != nil {
			ws.PID = s.cur.pid
			ws.Since = s.cur.start.UTC().Format(time.RFC3339)
		}
		out = append(out, ws)
	}
	return out
}

func (p *Primary) setState(s *slot, pr *proc, state string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pr != nil {
		s.cur = pr
	}
	s.state = state
}

// runSlot keeps slot s's worker running until shutdown or until the slot is
// given up.
func (p *Primary) runSlot(s *slot) {
	for {
		pr, err := p.startProc(s)
		if err == nil {
			err = p.superviseProc(s, pr)
		}
		if p.isStopping() {
			p.setState(s, nil, StateStopped)
			return
		}
		p.log.Warn("cluster: worker exited", "slot", s.id, "err", err)
		if !p.allowRestart(s) {
			return
		}
		if !p.sleep(p.cfg.RestartDelay) {
			p.setState(s, nil, StateStopped)
			return
		}
	}
}

// startProc spawns a process for s and tracks it.
func (p *Primary) startProc(s *slot) (*proc, error) {
	if p.isStopping() {
		return nil, errors.New("stopping")
	}
	pr, err := p.spawn(s.id)
	if err != nil {
		return nil, err
	}
	p.track(pr, true)
	p.setState(s, pr, StateStarting)
	p.log.Info("cluster: worker started", "slot", s.id, "pid", pr.pid)
	return pr, nil
}

// superviseProc waits for pr's readiness and exit, serving rolling-restart
// requests; it answers when the slot's current process has exited.
func (p *Primary) superviseProc(s *slot, pr *proc) error {
	readyTimer := time.NewTimer(p.cfg.ReadyTimeout)
	defer readyTimer.Stop()
	ready := pr.ready
	for {
		select {
		case <-ready:
			ready = nil
			readyTimer.Stop()
			p.setState(s, nil, StateReady)
			p.log.Info("cluster: worker ready", "slot", s.id, "pid", pr.pid, "after", time.Since(pr.start).String())
		case <-readyTimer.C:
			if ready != nil {
				p.log.Error("cluster: worker not ready in time; killing it", "slot", s.id, "pid", pr.pid)
				pr.signal(syscall.SIGKILL)
			}
		case <-pr.done:
			p.track(pr, false)
			if !pr.isReady() {
				return fmt.Errorf("worker %d (pid %d) failed at start-up: %s", s.id, pr.pid, pr.exitDesc())
			}
			return fmt.Errorf("worker %d (pid %d): %s", s.id, pr.pid, pr.exitDesc())
		case <-p.stopping:
			p.setState(s, nil, StateStopping)
			<-pr.done // the primary's shutdown timer SIGKILLs it if needed
			p.track(pr, false)
			return nil
		case res := <-s.roll:
			next, err := p.replace(s, pr)
			res <- err
			if next != nil {
				pr, ready = next, nil
			}
		}
	}
}

// replace starts s's new process, waits until it is ready, then stops old.
// It answers the new process, or nil and the error when it did not become
// ready (old keeps serving).
func (p *Primary) replace(s *slot, old *proc) (*proc, error) {
	nw, err := p.spawn(s.id)
	if err != nil {
		return nil, err
	}
	p.track(nw, true)
	select {
	case <-nw.ready:
	case <-nw.done:
		p.track(nw, false)
		return nil, fmt.Errorf("replacement of worker %d failed at start-up: %s", s.id, nw.exitDesc())
	case <-time.After(p.cfg.ReadyTimeout):
		nw.signal(syscall.SIGKILL)
		<-nw.done
		p.track(nw, false)
		return nil, fmt.Errorf("replacement of worker %d not ready within %s", s.id, p.cfg.ReadyTimeout)
	case <-p.stopping:
		nw.signal(syscall.SIGTERM)
		go func() { <-nw.done; p.track(nw, false) }()
		return nil, errors.New("stopping")
	}
	p.setState(s, nw, StateReady)
	old.signal(RetireSignal)
	go func() { <-old.done; p.track(old, false) }()
	p.log.Info("cluster: worker replaced", "slot", s.id, "old_pid", old.pid, "pid", nw.pid)
	return nw, nil
}

// allowRestart applies the restart policy: more than MaxRestarts restarts
// of one slot within RestartWindow gives the slot up.
func (p *Primary) allowRestart(s *slot) bool {
	now := time.Now()
	p.mu.Lock()
	kept := s.recent[:0]
	for _, t := range s.recent {
		if now.Sub(t) < p.cfg.RestartWindow {
			kept = append(kept, t)
		}
	}
	s.recent = kept
	if len(s.recent) >= p.cfg.MaxRestarts {
		s.state = StateGivenUp
		p.mu.Unlock()
		p.m.givenUp.WithLabelValues(strconv.Itoa(s.id)).Set(1)
		p.log.Error("cluster: slot given up: too many restarts", "slot", s.id,
			"max_restarts", p.cfg.MaxRestarts, "window", p.cfg.RestartWindow.String())
		return false
	}
	s.recent = append(s.recent, now)
	s.restarts++
	s.state = StateRestarting
	p.mu.Unlock()
	p.m.restarts.WithLabelValues(strconv.Itoa(s.id)).Inc()
	return true
}

// sleep waits d unless shutdown starts; it answers false on shutdown.
func (p *Primary) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-p.stopping:
		return false
	}
}

// rollingRestart replaces the workers one slot at a time; a second SIGHUP
// during a roll is ignored.
func (p *Primary) rollingRestart() {
	if !p.rolling.TryLock() {
		p.log.Warn("cluster: rolling restart already running; SIGHUP ignored")
		return
	}
	defer p.rolling.Unlock()
	p.log.Info("cluster: rolling restart")
	for _, s := range p.slots {
		p.mu.Lock()
		state := s.state
		p.mu.Unlock()
		if state == StateGivenUp {
			continue
		}
		res := make(chan error, 1)
		select {
		case s.roll <- res:
		case <-p.stopping:
			return
		case <-time.After(p.cfg.ReadyTimeout):
			p.log.Warn("cluster: slot not running; skipped in the roll", "slot", s.id)
			continue
		}
		if err := <-res; err != nil {
			p.log.Error("cluster: rolling restart stopped", "slot", s.id, "err", err)
			return
		}
	}
	p.log.Info("cluster: rolling restart done")
}
