package proof

import (
	"fmt"
	"sort"
	"strings"
)

// Host facts the postgresql.conf is computed from.
type Host struct {
	RAMBytes uint64
	CPUs     int
	Storage  string // ssd, nvme, san or hdd
	MaxConns int    // from the pools that connect, plus headroom
}

// PGTuneKeys are the settings the proof takes from a plan.
var PGTuneKeys = map[string]bool{
	"max_connections": true, "shared_buffers": true, "effective_cache_size": true, "maintenance_work_mem": true,
	"checkpoint_completion_target": true, "wal_buffers": true, "default_statistics_target": true,
	"random_page_cost": true, "effective_io_concurrency": true, "work_mem": true, "huge_pages": true,
	"min_wal_size": true, "max_wal_size": true, "max_worker_processes": true, "max_parallel_workers": true,
	"max_parallel_workers_per_gather": true, "max_parallel_maintenance_workers": true, "jit": true, "wal_compression": true,
}

const (
	kib = 1024
	mib = 1024 * kib
	gib = 1024 * mib
)

// PGTuneWeb computes a "web" database's settings the way PGTune does, for
// when the tuning tool is absent: shared_buffers RAM/4, effective_cache_size
// 3/4 RAM, maintenance_work_mem RAM/16 (at most 8 GB), work_mem (RAM -
// shared_buffers) / ((max_connections + max_worker_processes) x 3) with a
// 4 MB floor, wal_buffers 3 % of shared_buffers (at most 16 MB), WAL 1-4 GB,
// checkpoint_completion_target 0.9, random_page_cost and
// effective_io_concurrency by storage, parallel workers from the CPUs (per
// gather only from 4 CPUs), huge_pages try from 2 GB of shared_buffers, jit
// off, wal_compression lz4.
func PGTuneWeb(h Host) map[string]string {
	sb := h.RAMBytes / 4
	m := map[string]string{
		"max_connections":              fmt.Sprint(h.MaxConns),
		"shared_buffers":               size(sb),
		"effective_cache_size":         size(h.RAMBytes * 3 / 4),
		"maintenance_work_mem":         size(min(h.RAMBytes/16, 8*gib)),
		"checkpoint_completion_target": "0.9",
		"wal_buffers":                  size(min(sb*3/100, 16*mib)),
		"default_statistics_target":    "100",
		"min_wal_size":                 "1GB",
		"max_wal_size":                 "4GB",
		"max_worker_processes":         fmt.Sprint(h.CPUs),
		"max_parallel_workers":         fmt.Sprint(h.CPUs),
		"jit":                          "off",
		"wal_compression":              "lz4",
		"huge_pages":                   "off",
	}
	m["random_page_cost"], m["effective_io_concurrency"] = storageCosts(h.Storage)
	work := (h.RAMBytes - sb) / uint64((h.MaxConns+h.CPUs)*3)
	m["work_mem"] = size(max(work, 4*mib))
	if h.CPUs >= 4 {
		m["max_parallel_workers_per_gather"] = fmt.Sprint(min((h.CPUs+1)/2, 4))
		m["max_parallel_maintenance_workers"] = fmt.Sprint(min((h.CPUs+1)/2, 4))
	}
	if sb >= 2*gib {
		m["huge_pages"] = "try"
	}
	return m
}

func storageCosts(s string) (string, string) {
	switch s {
	case "hdd":
		return "4", "2"
	case "san":
		return "1.1", "300"
	case "nvme":
		return "1.1", "1000"
	}
	return "1.1", "200"
}

// size renders bytes in the largest unit that divides them (kB at least),
// as postgresql.conf reads it.
func size(b uint64) string {
	switch {
	case b%gib == 0:
		return fmt.Sprintf("%dGB", b/gib)
	case b%mib == 0:
		return fmt.Sprintf("%dMB", b/mib)
	}
	return fmt.Sprintf("%dkB", b/kib)
}

// ConfText renders settings as postgresql.conf lines, sorted.
func ConfText(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s = '%s'\n", k, m[k])
	}
	return b.String()
}
