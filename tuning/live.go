package tuning

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/redis/rueidis"
)

// System is the live host: /proc/sys and /sys under Root (normally "/"),
// this process's RLIMIT_NOFILE, and the Postgres and Redis the plan is for
// (nil when not connected: their settings read as unknown).
type System struct {
	Root     string
	Postgres *pgx.Conn
	Redis    rueidis.Client
}

// AppService is the server's systemd unit: its open-file limit is read as
// this process's RLIMIT_NOFILE hard limit (Go raises the soft limit to it).
const AppService = "echosenseix.service"

// ErrNotHere marks a setting this host cannot show (for example a global
// sysctl inside a network namespace, or nginx's config).
var ErrNotHere = errors.New("not readable here")

func (s System) path(key string) string {
	root := s.Root
	if root == "" {
		root = "/"
	}
	return filepath.Join(root, "proc/sys", strings.ReplaceAll(key, ".", "/"))
}

func (s System) sysfsPath(key string) string {
	root := s.Root
	if root == "" {
		root = "/"
	}
	return filepath.Join(root, key)
}

// Read returns the live value of it in the form Compare takes.
func (s System) Read(ctx context.Context, it Item) (string, error) {
	switch it.Kind {
	case KindSysctl:
		b, err := os.ReadFile(s.path(it.Key))
		if errors.Is(err, os.ErrNotExist) {
			return "", ErrNotHere
		}
		return strings.Join(strings.Fields(string(b)), " "), err
	case KindSysfs:
		b, err := os.ReadFile(s.sysfsPath(it.Key))
		if err != nil {
			return "", ErrNotHere
		}
		return bracketed(string(b)), nil
	case KindLimits:
		if it.Service != AppService {
			return "", ErrNotHere // another service's limit is not this process's
		}
		var r syscall.Rlimit
		if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
			return "", fmt.Errorf("cannot read RLIMIT_NOFILE: %w", err)
		}
		return strconv.FormatUint(r.Max, 10), nil
	case KindPostgres:
		return s.readPostgres(ctx, it.Key)
	case KindRedis:
		return s.readRedis(ctx, it.Key, it.Want)
	}
	return "", ErrNotHere
}

// bracketed picks the chosen word of a sysfs choice list: "always [madvise] never".
func bracketed(s string) string {
	if i := strings.Index(s, "["); i >= 0 {
		if j := strings.Index(s[i:], "]"); j > 0 {
			return s[i+1 : i+j]
		}
	}
	return strings.TrimSpace(s)
}

var pgUnitBytes = map[string]int64{"B": 1, "kB": 1 << 10, "8kB": 8 << 10, "MB": 1 << 20, "16MB": 16 << 20}

// readPostgres reads pg_settings, memory in bytes so "4GB" compares as a number.
func (s System) readPostgres(ctx context.Context, key string) (string, error) {
	if s.Postgres == nil {
		return "", ErrNotHere
	}
	var setting string
	var unit *string
	err := s.Postgres.QueryRow(ctx, "SELECT setting, unit FROM pg_settings WHERE name = $1", key).Scan(&setting, &unit)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", ErrNotHere
	}
	if err != nil {
		return "", fmt.Errorf("cannot read postgres setting %s: %w", key, err)
	}
	if unit != nil {
		if mult, ok := pgUnitBytes[*unit]; ok {
			if n, err := strconv.ParseInt(setting, 10, 64); err == nil && n >= 0 {
				return strconv.FormatInt(n*mult, 10), nil
			}
		}
	}
	return setting, nil
}

// readRedis runs CONFIG GET; for client-output-buffer-limit it keeps the
// class the plan sets (its first word).
func (s System) readRedis(ctx context.Context, key, want string) (string, error) {
	v, err := s.redisGet(ctx, key)
	if err != nil || key != "client-output-buffer-limit" {
		return v, err
	}
	class := strings.Fields(want)[0]
	f := strings.Fields(v)
	for i := 0; i+3 < len(f); i += 4 {
		if f[i] == class || (class == "replica" && f[i] == "slave") {
			return strings.Join(f[i:i+4], " "), nil
		}
	}
	return "", ErrNotHere
}

func (s System) redisGet(ctx context.Context, key string) (string, error) {
	if s.Redis == nil {
		return "", ErrNotHere
	}
	m, err := s.Redis.Do(ctx, s.Redis.B().ConfigGet().Parameter(key).Build()).AsStrMap()
	if err != nil {
		return "", fmt.Errorf("cannot read redis config %s: %w", key, err)
	}
	v, ok := m[key]
	if !ok {
		return "", ErrNotHere
	}
	return v, nil
}
