package wsload

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat CPU times.
const clockTicks = 100

// procStatus answers a "Name:   value kB" field of /proc/<pid>/status in
// KiB (0 when unreadable).
func procStatus(pid int, field string) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	return statusField(b, field)
}

// statusField reads field (e.g. "VmRSS") of a /proc status text, in KiB.
func statusField(b []byte, field string) int64 {
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		name, val, ok := bytes.Cut(line, []byte(":"))
		if !ok || string(name) != field {
			continue
		}
		f := strings.Fields(string(val))
		if len(f) == 0 {
			return 0
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		return n
	}
	return 0
}

// statFields answers the fields of /proc/<pid>/stat after "(comm)":
// [0] is the state, [1] the parent pid, [11] utime, [12] stime.
func statFields(b []byte) []string {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}

// cpuSeconds answers a process's user+system CPU time.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	f := statFields(b)
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return (u + s) / clockTicks
}

// childrenOf answers the pids whose parent is pid, sorted.
func childrenOf(pid int) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		if f := statFields(b); len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out = append(out, p)
		}
	}
	sort.Ints(out)
	return out
}

// openFDs answers how many descriptors pid holds (-1 when unreadable).
func openFDs(pid int) int {
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

// loadAvg answers /proc/loadavg's first three fields.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// ServerProcs answers the server's processes whose memory counts: the
// children of pid (a cluster primary's workers), or pid itself when it has
// none (a single process).
func ServerProcs(pid int) []int {
	if pid <= 0 {
		return nil
	}
	if kids := childrenOf(pid); len(kids) > 0 {
		return kids
	}
	return []int{pid}
}
