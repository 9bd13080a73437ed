package proc

import (
	"slices"
	"time"
)

// SumTree sums the CPU of root and its descendants among stats.
func SumTree(stats []Stat, root int) time.Duration {
	var total time.Duration
	for _, s := range stats {
		if s.PID == root {
			total += s.CPU()
		}
	}
	children := childMap(stats)
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

// Children answers the pids whose parent is pid, sorted.
func Children(stats []Stat, pid int) []int {
	var out []int
	for _, c := range childMap(stats)[pid] {
		out = append(out, c.PID)
	}
	slices.Sort(out)
	return out
}

func childMap(stats []Stat) map[int][]Stat {
	children := map[int][]Stat{}
	for _, s := range stats {
		children[s.PPID] = append(children[s.PPID], s)
	}
	return children
}

// CommCPU is the CPU time of every process whose command name is one of
// names (e.g. "postgres", "redis-server": the services a benchmark hits).
func CommCPU(stats []Stat, names ...string) time.Duration {
	var total time.Duration
	for _, s := range stats {
		if slices.Contains(names, s.Comm) {
			total += s.CPU()
		}
	}
	return total
}
