package tuning

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// Storage kinds PGTune distinguishes.
var Storages = []string{"ssd", "nvme", "san", "hdd"}

// ErrBadHost reports a host fact that cannot be used (bad usage: exit 2).
var ErrBadHost = errors.New("bad host fact")

// Host is what a plan is computed from. Instances is how many server
// instances connect to Postgres (0: the profile's). DBMaxConnections is
// each instance's DATABASE_MAX_CONNECTIONS (0: the profile's). RedisUse is
// cache or queue (which side of the split the Redis instance is).
type Host struct {
	RAM              int64 // bytes
	CPUs             int
	Storage          string
	Instances        int
	DBMaxConnections int
	RedisUse         string
}

// Validate reports a fact no plan can use.
func (h Host) Validate() error {
	switch {
	case h.RAM <= 0:
		return fmt.Errorf("%w: --ram must be more than 0", ErrBadHost)
	case h.CPUs <= 0:
		return fmt.Errorf("%w: --cpus must be more than 0", ErrBadHost)
	case !slices.Contains(Storages, h.Storage):
		return fmt.Errorf("%w: --storage %q: want ssd, nvme, san or hdd", ErrBadHost, h.Storage)
	case h.Instances < 0:
		return fmt.Errorf("%w: --instances must be 0 (the profile's) or more", ErrBadHost)
	case h.DBMaxConnections < 0:
		return fmt.Errorf("%w: DATABASE_MAX_CONNECTIONS must be more than 0", ErrBadHost)
	case h.RedisUse != "cache" && h.RedisUse != "queue":
		return fmt.Errorf("%w: --redis-use %q: want cache or queue", ErrBadHost, h.RedisUse)
	}
	return nil
}

// ThisHost returns the facts of the machine it runs on: RAM from sysinfo,
// CPUs as Go sees them, storage from /sys/block (nvme when an NVMe disk is
// present, hdd when every real disk is rotational, else ssd).
func ThisHost() (Host, error) {
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err != nil {
		return Host{}, fmt.Errorf("cannot read sysinfo: %w", err)
	}
	return Host{RAM: int64(si.Totalram) * int64(si.Unit), CPUs: runtime.NumCPU(), Storage: detectStorage("/sys/block"), RedisUse: "cache"}, nil
}

func detectStorage(dir string) string {
	entries, _ := os.ReadDir(dir)
	disks, rotational := 0, 0
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, "nvme") {
			return "nvme"
		}
		if strings.HasPrefix(name, "loop") || strings.HasPrefix(name, "ram") || strings.HasPrefix(name, "zram") || strings.HasPrefix(name, "dm-") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, name, "queue", "rotational"))
		if err != nil {
			continue
		}
		disks++
		if strings.TrimSpace(string(b)) == "1" {
			rotational++
		}
	}
	if disks > 0 && rotational == disks {
		return "hdd"
	}
	return "ssd"
}

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"tib", 1 << 40}, {"gib", 1 << 30}, {"mib", 1 << 20}, {"kib", 1 << 10},
	{"tb", 1 << 40}, {"gb", 1 << 30}, {"mb", 1 << 20}, {"kb", 1 << 10},
	{"t", 1 << 40}, {"g", 1 << 30}, {"m", 1 << 20}, {"k", 1 << 10}, {"b", 1},
}

// ParseSize reads a RAM size such as 16GiB, 512MB or 2g (binary units; a
// bare number is bytes).
func ParseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("%w: size %q: want a number with KiB, MiB, GiB or TiB", ErrBadHost, s)
	}
	return int64(f * float64(mult)), nil
}
