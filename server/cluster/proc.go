package cluster

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// Protocol environment variables set by the primary on every worker.
const (
	EnvSlot   = "ECHOSENSEIX_CLUSTER_SLOT"   // worker slot, 0-based
	EnvDir    = "ECHOSENSEIX_CLUSTER_DIR"    // directory of the private unix sockets
	EnvListen = "ECHOSENSEIX_CLUSTER_LISTEN" // shared or reuseport
)

// Descriptors a worker inherits.
const (
	readyFD    = 3 // pipe: the worker writes one byte when it serves
	listenerFD = 4 // the shared listening socket (ListenShared)
)

// proc is one worker process of a slot.
type proc struct {
	slot  int
	cmd   *exec.Cmd
	pid   int
	start time.Time
	ready chan struct{} // closed when the worker reported ready
	done  chan struct{} // closed when the process has exited
	err   error         // Wait's answer, set before done closes
}

// spawn starts a worker for slot. listener is the shared socket's file (nil
// in ListenReusePort mode).
func (p *Primary) spawn(slot int) (*proc, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("cannot create ready pipe: %w", err)
	}
	cmd := exec.Command(p.cfg.Command[0], p.cfg.Command[1:]...)
	cmd.Env = append(append([]string(nil), p.cfg.Env...),
		EnvSlot+"="+strconv.Itoa(slot), EnvDir+"="+p.dir, EnvListen+"="+string(p.cfg.ListenMode))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{w}
	if p.lnFile != nil {
		cmd.ExtraFiles = append(cmd.ExtraFiles, p.lnFile)
	}
	// Workers get signals only from the primary (a terminal's Ctrl-C goes
	// to the primary, which forwards it).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("cannot start worker %d: %w", slot, err)
	}
	w.Close()
	pr := &proc{slot: slot, cmd: cmd, pid: cmd.Process.Pid, start: time.Now(),
		ready: make(chan struct{}), done: make(chan struct{})}
	go pr.watchReady(r)
	go func() {
		pr.err = cmd.Wait()
		close(pr.done)
	}()
	return pr, nil
}

// watchReady closes ready when the worker writes its byte; EOF (exit
// before ready) leaves it open.
func (pr *proc) watchReady(r *os.File) {
	defer r.Close()
	var b [1]byte
	if n, _ := r.Read(b[:]); n == 1 {
		close(pr.ready)
	}
}

func (pr *proc) signal(sig os.Signal) {
	_ = pr.cmd.Process.Signal(sig)
}

func (pr *proc) isReady() bool {
	select {
	case <-pr.ready:
		return true
	default:
		return false
	}
}

func (pr *proc) exited() bool {
	select {
	case <-pr.done:
		return true
	default:
		return false
	}
}

// exitDesc describes how the process ended, for logs.
func (pr *proc) exitDesc() string {
	if pr.err == nil {
		return "exit status 0"
	}
	return pr.err.Error()
}
