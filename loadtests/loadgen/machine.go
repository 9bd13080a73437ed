package loadgen

import (
	"os"
	"runtime"

	"github.com/echosenseix/echosenseix/internal/proc"
)

// ThisMachine describes the machine the generator runs on.
func ThisMachine() Machine {
	m := Machine{NumCPU: runtime.NumCPU(), GoVersion: runtime.Version()}
	m.Hostname, _ = os.Hostname()
	hm := proc.HostMachine()
	m.Kernel, m.CPUModel, m.MemBytes = hm.Kernel, hm.CPUModel, hm.MemBytes
	return m
}

// SelfCPUSeconds is this process's user+system CPU time.
func SelfCPUSeconds() float64 { return proc.SelfCPU().Seconds() }

// ProcessTreeCPUSeconds is the user+system CPU time of pid and every live
// descendant (cluster workers), from /proc; 0 when pid is gone.
func ProcessTreeCPUSeconds(pid int) float64 {
	if pid <= 0 {
		return 0
	}
	d, err := proc.TreeCPU(pid)
	if err != nil {
		return 0
	}
	return d.Seconds()
}
