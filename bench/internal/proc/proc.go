// Package proc reads CPU time of processes from /proc, so every benchmark
// run can say how much CPU the server and the load generator used.
package proc

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// ClockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat; it
// is 100 on every Linux architecture Go supports.
const ClockTicks = 100

// Stat is what this package reads from one /proc/PID/stat line.
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

// ParseStat parses a /proc/PID/stat line. The command name (field 2) may hold
// spaces and parentheses, so fields are counted after its last ')'.
func ParseStat(line []byte) (Stat, error) {
	open := bytes.IndexByte(line, '(')
	end := bytes.LastIndexByte(line, ')')
	if open < 1 || end < open {
		return Stat{}, fmt.Errorf("cannot parse /proc stat %q: no (comm)", truncate(line))
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(line[:open])))
	if err != nil {
		return Stat{}, fmt.Errorf("cannot parse /proc stat pid: %w", err)
	}
	// After ")": field 3 (state) is rest[0]; ppid is field 4, utime 14, stime 15.
	rest := bytes.Fields(line[end+1:])
	if len(rest) < 13 {
		return Stat{}, fmt.Errorf("cannot parse /proc stat %q: %d fields after comm", truncate(line), len(rest))
	}
	s := Stat{PID: pid, Comm: string(line[open+1 : end])}
	for _, f := range []struct {
		dst *int64
		idx int
	}{{nil, 1}, {&s.UTime, 11}, {&s.STime, 12}} {
		v, err := strconv.ParseInt(string(rest[f.idx]), 10, 64)
		if err != nil {
			return Stat{}, fmt.Errorf("cannot parse /proc stat field %d: %w", f.idx+3, err)
		}
		if f.dst == nil {
			s.PPID = int(v)
		} else {
			*f.dst = v
		}
	}
	return s, nil
}

func truncate(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "..."
	}
	return string(b)
}

// Read reads /proc/PID/stat.
func Read(pid int) (Stat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return Stat{}, fmt.Errorf("cannot read cpu of pid %d: %w", pid, err)
	}
	return ParseStat(b)
}

// TreeCPU is the CPU time of pid and of every live descendant (nginx
// workers, cluster workers).
func TreeCPU(pid int) (time.Duration, error) {
	root, err := Read(pid)
	if err != nil {
		return 0, err
	}
	all, err := All()
	if err != nil {
		return root.CPU(), nil
	}
	return SumTree(all, pid), nil
}

// All reads the stat of every process visible in /proc.
func All() ([]Stat, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("cannot list /proc: %w", err)
	}
	var out []Stat
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if s, err := Read(pid); err == nil {
			out = append(out, s)
		}
	}
	return out, nil
}

// SumTree sums the CPU of root and its descendants among stats.
func SumTree(stats []Stat, root int) time.Duration {
	children := map[int][]Stat{}
	var total time.Duration
	for _, s := range stats {
		children[s.PPID] = append(children[s.PPID], s)
		if s.PID == root {
			total += s.CPU()
		}
	}
	queue := []int{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			if c.PID == root {
				continue
			}
			total += c.CPU()
			queue = append(queue, c.PID)
		}
	}
	return total
}

// CommCPU is the CPU time of every process whose command name is one of
// names (e.g. "postgres", "redis-server": the services a benchmark hits).
func CommCPU(stats []Stat, names ...string) time.Duration {
	var total time.Duration
	for _, s := range stats {
		for _, n := range names {
			if s.Comm == n {
				total += s.CPU()
				break
			}
		}
	}
	return total
}

// SelfCPU is this process's user + system time (getrusage).
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ParseSystemBusy reads the busy time of every CPU together (user, nice,
// system, irq, softirq, steal) from the first line of /proc/stat.
func ParseSystemBusy(stat []byte) (time.Duration, error) {
	line, _, _ := bytes.Cut(stat, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 9 || string(f[0]) != "cpu" {
		return 0, fmt.Errorf("cannot parse /proc/stat %q", truncate(line))
	}
	var busy int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} { // user nice system _idle _iowait irq softirq steal
		v, err := strconv.ParseInt(string(f[i]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("cannot parse /proc/stat field %d: %w", i, err)
		}
		busy += v
	}
	return time.Duration(busy) * time.Second / ClockTicks, nil
}

// SystemBusy is the machine's total busy CPU time since boot (all
// processes): with a server's and a generator's CPU it tells how much went
// to everything else during a run.
func SystemBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, fmt.Errorf("cannot read /proc/stat: %w", err)
	}
	return ParseSystemBusy(b)
}
