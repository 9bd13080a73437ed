package tuning

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// BackupPath is where apply keeps what it replaced, under the destination.
const BackupPath = "var/lib/echosenseix-tune/backup.json"

// Backup is everything apply replaced, recorded before its first change:
// applying again keeps the first record, so revert restores what was there
// before any apply.
type Backup struct {
	Files    []FileBackup  `json:"files,omitempty"`
	Dirs     []string      `json:"dirs,omitempty"`     // created by apply, deepest first
	Live     []ValueBackup `json:"live,omitempty"`     // sysctl and sysfs
	Postgres []ValueBackup `json:"postgres,omitempty"` // ALTER SYSTEM entries
	Redis    []ValueBackup `json:"redis,omitempty"`    // CONFIG GET values
}

// FileBackup is a file before apply wrote it.
type FileBackup struct {
	Path    string      `json:"path"`
	Existed bool        `json:"existed"`
	Mode    os.FileMode `json:"mode,omitempty"`
	Content []byte      `json:"content,omitempty"`
}

// ValueBackup is a live value before apply set it. Set false means it was
// not set (Postgres: no ALTER SYSTEM entry, so revert resets it).
type ValueBackup struct {
	Kind string `json:"kind,omitempty"`
	Key  string `json:"key"`
	Old  string `json:"old"`
	Set  bool   `json:"set"`
}

func loadBackup(dest string) (Backup, bool, error) {
	var b Backup
	data, err := os.ReadFile(filepath.Join(dest, BackupPath))
	if errors.Is(err, os.ErrNotExist) {
		return b, false, nil
	}
	if err != nil {
		return b, false, fmt.Errorf("cannot read backup: %w", err)
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return b, false, fmt.Errorf("cannot parse backup %s: %w", filepath.Join(dest, BackupPath), err)
	}
	return b, true, nil
}

func (b *Backup) save(dest string) error {
	p := filepath.Join(dest, BackupPath)
	if err := b.mkdirAll(dest, filepath.Dir(BackupPath)); err != nil {
		return err
	}
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return fmt.Errorf("cannot encode backup: %w", err)
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("cannot write backup: %w", err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return fmt.Errorf("cannot write backup: %w", err)
	}
	return nil
}

func (b *Backup) hasFile(path string) bool {
	for _, f := range b.Files {
		if f.Path == path {
			return true
		}
	}
	return false
}

func hasValue(list []ValueBackup, key string) bool {
	for _, v := range list {
		if v.Key == key {
			return true
		}
	}
	return false
}

// mkdirAll creates dir (relative to dest) and its missing parents,
// recording each one it creates so revert can remove it again.
func (b *Backup) mkdirAll(dest, dir string) error {
	var missing []string
	for d := dir; d != "." && d != "/" && d != ""; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(dest, d)); err == nil {
			break
		}
		missing = append(missing, d)
	}
	for _, d := range missing {
		if !slices.Contains(b.Dirs, d) {
			b.Dirs = append(b.Dirs, d)
		}
	}
	if err := os.MkdirAll(filepath.Join(dest, dir), 0o755); err != nil {
		return fmt.Errorf("cannot create %s: %w", filepath.Join(dest, dir), err)
	}
	return nil
}

// BackupNeeds reports which services the backup under dest has values for,
// so revert connects only to those: a net-only apply is reverted without
// DATABASE_URL or REDIS_URL being reachable (inside a network namespace,
// for one).
func BackupNeeds(dest string) (postgres, redis bool, err error) {
	b, _, err := loadBackup(dest)
	return len(b.Postgres) > 0, len(b.Redis) > 0, err
}
