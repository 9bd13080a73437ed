package tuning

import (
	"fmt"
	"strconv"
)

// derived holds the figures several formulas share, computed once per plan
// in PGTune's order (memory in kB, as PGTune computes it).
type derived struct {
	ramKB          int64
	sharedKB       int64
	maxConnections int
	workerProcs    int // max_worker_processes used by work_mem: CPUs from 4, else the default 8
	host           Host
}

func derive(h Host, pools *Pools) derived {
	// Whole MiB of RAM, so every size below is a whole number of Postgres's
	// 8 kB pages (PGTune's inputs are whole GB; a detected host is not).
	d := derived{ramKB: h.RAM >> 20 << 10, host: h}
	d.sharedKB = d.ramKB / 4
	d.workerProcs = 8
	if h.CPUs >= 4 {
		d.workerProcs = h.CPUs
	}
	if pools != nil {
		d.maxConnections = MaxConnections(*pools, h)
	}
	return d
}

// MaxConnections is instances x workers x each worker's share of
// DATABASE_MAX_CONNECTIONS (the server splits its pool among its cluster
// workers, each getting at least 1) + headroom.
func MaxConnections(p Pools, h Host) int {
	instances, dbMax := p.Instances, p.DatabaseMaxConnections
	if h.Instances > 0 {
		instances = h.Instances
	}
	if h.DBMaxConnections > 0 {
		dbMax = h.DBMaxConnections
	}
	workers := max(p.Workers, 1)
	share := max(dbMax/workers, 1)
	return instances*workers*share + p.Headroom
}

// formula computes a value from the host; "" means the setting is left out
// (as PGTune leaves out parallel settings below 4 CPUs).
type formula func(d derived) string

// formulas maps the formula text of the profile files to its computation,
// so the text the README shows is the one that runs.
var formulas = map[string]formula{
	maxConnectionsFormula: func(d derived) string { return strconv.Itoa(d.maxConnections) },
	"RAM/4":               func(d derived) string { return formatKB(d.sharedKB) },
	"RAM*3/4":             func(d derived) string { return formatKB(d.ramKB * 3 / 4) },
	"RAM/2":               func(d derived) string { return formatKB(d.ramKB / 2) },
	"RAM/16, at most 8GB": func(d derived) string {
		return formatKB(min(d.ramKB/16, 8<<20))
	},
	"(RAM-shared_buffers)/((max_connections+max_worker_processes)*3), at least 4MB": func(d derived) string {
		return formatKB(WorkMemKB(d.ramKB, d.sharedKB, d.maxConnections, d.workerProcs))
	},
	"3% of shared_buffers, at most 16MB": func(d derived) string { return formatKB(walBuffersKB(d.sharedKB)) },
	"ssd/nvme/san 1.1, hdd 4": func(d derived) string {
		if d.host.Storage == "hdd" {
			return "4"
		}
		return "1.1"
	},
	"hdd 2, ssd 200, san 300, nvme 1000": func(d derived) string {
		return map[string]string{"hdd": "2", "ssd": "200", "san": "300", "nvme": "1000"}[d.host.Storage]
	},
	"CPUs, when CPUs >= 4": func(d derived) string {
		if d.host.CPUs < 4 {
			return ""
		}
		return strconv.Itoa(d.host.CPUs)
	},
	"min(ceil(CPUs/2),4), when CPUs >= 4": func(d derived) string {
		if d.host.CPUs < 4 {
			return ""
		}
		return strconv.Itoa(min((d.host.CPUs+1)/2, 4))
	},
	"try when shared_buffers >= 2GB, else off": func(d derived) string {
		if d.sharedKB >= 2<<20 {
			return "try"
		}
		return "off"
	},
}

// WorkMemKB is PGTune's web work_mem: (RAM - shared_buffers) /
// ((max_connections + max_worker_processes) x 3), at least 4 MB.
func WorkMemKB(ramKB, sharedKB int64, maxConnections, workerProcs int) int64 {
	v := (ramKB - sharedKB) / (int64(maxConnections+workerProcs) * 3)
	return max(v, 4<<10)
}

// walBuffersKB is 3 % of shared_buffers, at most 16 MB; like PGTune it
// rounds 14-16 MB up to 16 MB and keeps at least 32 kB; whole 8 kB pages.
func walBuffersKB(sharedKB int64) int64 {
	v := min(sharedKB*3/100, 16<<10)
	if v > 14<<10 && v < 16<<10 {
		v = 16 << 10
	}
	return max(v/8*8, 32) // whole 8 kB pages, as Postgres keeps it
}

// formatKB writes kB as Postgres and PGTune do: GB or MB when exact, else kB.
func formatKB(kb int64) string {
	switch {
	case kb%(1<<20) == 0:
		return fmt.Sprintf("%dGB", kb>>20)
	case kb%(1<<10) == 0:
		return fmt.Sprintf("%dMB", kb>>10)
	}
	return fmt.Sprintf("%dkB", kb)
}
