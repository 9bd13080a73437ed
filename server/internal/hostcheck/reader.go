package hostcheck

import (
	"fmt"
	"syscall"

	"github.com/prometheus/procfs"
)

// Reader reads the live host. Sysctl takes dotted keys
// ("net.core.somaxconn") and answers the first field.
type Reader interface {
	OpenFileLimit() (uint64, error)
	Sysctl(key string) (int64, error)
}

// HostReader reads this process' limits and /proc/sys.
type HostReader struct{ fs procfs.FS }

var _ Reader = HostReader{}

// NewHostReader answers a Reader over /proc.
func NewHostReader() (HostReader, error) {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return HostReader{}, fmt.Errorf("cannot open /proc: %w", err)
	}
	return HostReader{fs: fs}, nil
}

// OpenFileLimit is the soft RLIMIT_NOFILE of this process (the one that
// refuses accept with EMFILE).
func (HostReader) OpenFileLimit() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, fmt.Errorf("cannot read RLIMIT_NOFILE: %w", err)
	}
	return l.Cur, nil
}

// Sysctl reads one integer sysctl.
func (r HostReader) Sysctl(key string) (int64, error) {
	v, err := r.fs.SysctlInts(key)
	if err != nil {
		return 0, fmt.Errorf("cannot read %s: %w", key, err)
	}
	if len(v) == 0 {
		return 0, fmt.Errorf("cannot read %s: empty", key)
	}
	return int64(v[0]), nil
}
