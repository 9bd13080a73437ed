package wsload

import hostproc "github.com/echosenseix/echosenseix/internal/proc"

// rssKB answers a process's resident set now and at its peak, in KiB (0
// when unreadable).
func rssKB(pid int) (now, peak int64) {
	fs, err := hostproc.Host()
	if err != nil {
		return 0, 0
	}
	m, err := fs.Memory(pid)
	if err != nil {
		return 0, 0
	}
	return int64(m.RSS / 1024), int64(m.Peak / 1024)
}

// cpuSeconds answers a process's user+system CPU time (0 when unreadable).
func cpuSeconds(pid int) float64 {
	fs, err := hostproc.Host()
	if err != nil {
		return 0
	}
	s, err := fs.Read(pid)
	if err != nil {
		return 0
	}
	return s.CPU().Seconds()
}

// openFDs answers how many descriptors pid holds (-1 when unreadable).
func openFDs(pid int) int {
	fs, err := hostproc.Host()
	if err != nil {
		return -1
	}
	n, err := fs.OpenFDs(pid)
	if err != nil {
		return -1
	}
	return n
}

// loadAvg answers /proc/loadavg's three averages ("" when unreadable).
func loadAvg() string {
	fs, err := hostproc.Host()
	if err != nil {
		return ""
	}
	l, _ := fs.LoadAvg()
	return l
}

// ServerProcs answers the server's processes whose memory counts: the
// children of pid (a cluster primary's workers), or pid itself when it has
// none (a single process).
func ServerProcs(pid int) []int {
	if pid <= 0 {
		return nil
	}
	if all, err := hostproc.All(); err == nil {
		if kids := hostproc.Children(all, pid); len(kids) > 0 {
			return kids
		}
	}
	return []int{pid}
}

// rss is rssKB's current resident set.
func rss(pid int) int64 { n, _ := rssKB(pid); return n }

// peakRSS is rssKB's peak resident set.
func peakRSS(pid int) int64 { _, p := rssKB(pid); return p }
