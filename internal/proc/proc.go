// Package proc reads what the benchmarks and load tools report about
// processes from /proc, through prometheus/procfs: CPU time of a process, of
// its descendants (cluster workers, nginx workers) or of named services, the
// machine's busy time, resident memory, open descriptors and the load
// average.
package proc

import (
	"fmt"
	"path/filepath"
	"syscall"
	"time"

	"github.com/prometheus/procfs"
)

// ClockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat; it
// is 100 on every Linux architecture Go supports.
const ClockTicks = 100

// Stat is what this package reads from one /proc/PID/stat.
type Stat struct {
	PID   int
	Comm  string // command name, at most 15 bytes
	PPID  int
	UTime int64 // clock ticks
	STime int64 // clock ticks
}

// CPU is user + system time.
func (s Stat) CPU() time.Duration {
	return time.Duration(s.UTime+s.STime) * time.Second / ClockTicks
}

// FS is a /proc tree: the host's (Default) or a copy (tests).
type FS struct {
	fs   procfs.FS
	root string
}

func (f FS) path(name string) string { return filepath.Join(f.root, name) }

// NewFS opens the /proc tree mounted at root.
func NewFS(root string) (FS, error) {
	fs, err := procfs.NewFS(root)
	if err != nil {
		return FS{}, fmt.Errorf("cannot open %s: %w", root, err)
	}
	return FS{fs, root}, nil
}

// Default opens the host's /proc.
func Default() (FS, error) { return NewFS(procfs.DefaultMountPoint) }

// Read reads /proc/PID/stat.
func (f FS) Read(pid int) (Stat, error) {
	p, err := f.fs.Proc(pid)
	if err != nil {
		return Stat{}, fmt.Errorf("cannot read cpu of pid %d: %w", pid, err)
	}
	return stat(p)
}

func stat(p procfs.Proc) (Stat, error) {
	s, err := p.Stat()
	if err != nil {
		return Stat{}, fmt.Errorf("cannot read cpu of pid %d: %w", p.PID, err)
	}
	return Stat{PID: s.PID, Comm: s.Comm, PPID: s.PPID, UTime: int64(s.UTime), STime: int64(s.STime)}, nil
}

// All reads the stat of every process visible in /proc; processes that end
// while it reads are left out.
func (f FS) All() ([]Stat, error) {
	ps, err := f.fs.AllProcs()
	if err != nil {
		return nil, fmt.Errorf("cannot list /proc: %w", err)
	}
	out := make([]Stat, 0, len(ps))
	for _, p := range ps {
		if s, err := stat(p); err == nil {
			out = append(out, s)
		}
	}
	return out, nil
}

// TreeCPU is the CPU time of pid and of every live descendant.
func (f FS) TreeCPU(pid int) (time.Duration, error) {
	root, err := f.Read(pid)
	if err != nil {
		return 0, err
	}
	all, err := f.All()
	if err != nil {
		return root.CPU(), nil
	}
	return SumTree(all, pid), nil
}

// SystemBusy is the machine's total busy CPU time since boot (user, nice,
// system, irq, softirq, steal of every CPU): with a server's and a
// generator's CPU it tells how much went to everything else during a run.
func (f FS) SystemBusy() (time.Duration, error) {
	st, err := f.fs.Stat()
	if err != nil {
		return 0, fmt.Errorf("cannot read /proc/stat: %w", err)
	}
	c := st.CPUTotal
	busy := c.User + c.Nice + c.System + c.IRQ + c.SoftIRQ + c.Steal
	return time.Duration(busy * float64(time.Second)), nil
}

// Memory is a process's resident set now and at its peak, in bytes.
type Memory struct{ RSS, Peak uint64 }

// Memory reads VmRSS and VmHWM of /proc/PID/status.
func (f FS) Memory(pid int) (Memory, error) {
	p, err := f.fs.Proc(pid)
	if err != nil {
		return Memory{}, fmt.Errorf("cannot read memory of pid %d: %w", pid, err)
	}
	s, err := p.NewStatus()
	if err != nil {
		return Memory{}, fmt.Errorf("cannot read memory of pid %d: %w", pid, err)
	}
	return Memory{RSS: s.VmRSS, Peak: s.VmHWM}, nil
}

// OpenFDs is how many descriptors pid holds.
func (f FS) OpenFDs(pid int) (int, error) {
	p, err := f.fs.Proc(pid)
	if err != nil {
		return 0, fmt.Errorf("cannot read descriptors of pid %d: %w", pid, err)
	}
	return p.FileDescriptorsLen()
}

// LoadAvg is /proc/loadavg's three averages as "1.00 0.50 0.25".
func (f FS) LoadAvg() (string, error) {
	l, err := f.fs.LoadAvg()
	if err != nil {
		return "", fmt.Errorf("cannot read load average: %w", err)
	}
	return fmt.Sprintf("%.2f %.2f %.2f", l.Load1, l.Load5, l.Load15), nil
}

// SelfCPU is this process's user + system time (getrusage).
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
