package proc

import (
	"sync"
	"time"
)

// host is the host's /proc, opened once.
var host = sync.OnceValues(Default)

// All is FS.All on the host's /proc.
func All() ([]Stat, error) {
	fs, err := host()
	if err != nil {
		return nil, err
	}
	return fs.All()
}

// TreeCPU is FS.TreeCPU on the host's /proc.
func TreeCPU(pid int) (time.Duration, error) {
	fs, err := host()
	if err != nil {
		return 0, err
	}
	return fs.TreeCPU(pid)
}

// SystemBusy is FS.SystemBusy on the host's /proc.
func SystemBusy() (time.Duration, error) {
	fs, err := host()
	if err != nil {
		return 0, err
	}
	return fs.SystemBusy()
}

// Host is the host's /proc.
func Host() (FS, error) { return host() }
