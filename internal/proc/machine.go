package proc

import (
	"os"
	"strings"
)

// Machine is what a report says about the host a run happened on.
type Machine struct {
	Kernel   string // /proc/sys/kernel/osrelease
	CPUModel string // the first CPU's model name
	MemBytes uint64 // MemTotal
}

// Machine reads the kernel release, CPU model and total memory; a field it
// cannot read stays empty.
func (f FS) Machine() Machine {
	var m Machine
	if b, err := os.ReadFile(f.path("sys/kernel/osrelease")); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if ci, err := f.fs.CPUInfo(); err == nil && len(ci) > 0 {
		m.CPUModel = ci[0].ModelName
	}
	if mi, err := f.fs.Meminfo(); err == nil && mi.MemTotal != nil {
		m.MemBytes = *mi.MemTotal * 1024
	}
	return m
}

// HostMachine is FS.Machine on the host's /proc.
func HostMachine() Machine {
	fs, err := host()
	if err != nil {
		return Machine{}
	}
	return fs.Machine()
}
