package proof

import "testing"

func TestPGTuneWeb(t *testing.T) {
	tests := []struct {
		name string
		h    Host
		want map[string]string
		none []string
	}{
		{"16 GiB 8 CPUs ssd", Host{RAMBytes: 16 * gib, CPUs: 8, Storage: "ssd", MaxConns: 100}, map[string]string{
			"shared_buffers": "4GB", "effective_cache_size": "12GB", "maintenance_work_mem": "1GB", "wal_buffers": "16MB",
			"random_page_cost": "1.1", "effective_io_concurrency": "200", "max_parallel_workers_per_gather": "4",
			"huge_pages": "try", "work_mem": "38836kB", "max_worker_processes": "8"}, nil},
		{"2 GiB 1 CPU hdd", Host{RAMBytes: 2 * gib, CPUs: 1, Storage: "hdd", MaxConns: 100}, map[string]string{
			"shared_buffers": "512MB", "random_page_cost": "4", "effective_io_concurrency": "2", "huge_pages": "off",
			"work_mem": "5190kB", "wal_buffers": "15728kB"}, []string{"max_parallel_workers_per_gather"}},
	}
	for _, tc := range tests {
		got := PGTuneWeb(tc.h)
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%s: %s = %q; want %q", tc.name, k, got[k], v)
			}
		}
		for _, k := range tc.none {
			if _, ok := got[k]; ok {
				t.Errorf("%s: %s set; want absent", tc.name, k)
			}
		}
		for k := range got {
			if !PGTuneKeys[k] {
				t.Errorf("%s: %s not in PGTuneKeys", tc.name, k)
			}
		}
	}
}
