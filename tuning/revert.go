package tuning

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ErrNothingToRevert means there is no backup under the destination.
var ErrNothingToRevert = errors.New("nothing to revert")

// Revert restores what apply recorded under dest: live values first, then
// the files (removing those that did not exist), then drops the backup, so
// a second revert finds nothing to do.
func Revert(ctx context.Context, dest string, sys System, out io.Writer) error {
	b, ok, err := loadBackup(dest)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNothingToRevert
	}
	for _, v := range b.Live {
		if _, err := os.Stat(sys.path(v.Key)); v.Kind == KindSysctl && err != nil {
			fmt.Fprintf(out, "skip %s: not present here\n", v.Key)
			continue
		}
		if err := sys.writeKernel(v.Kind, v.Key, v.Old); err != nil {
			return err
		}
		fmt.Fprintf(out, "restore %s = %s\n", v.Key, v.Old)
	}
	if err := revertServices(ctx, b, sys, out); err != nil {
		return err
	}
	for _, f := range b.Files {
		if err := restoreFile(dest, f, out); err != nil {
			return err
		}
	}
	if err := os.Remove(filepath.Join(dest, BackupPath)); err != nil {
		return fmt.Errorf("cannot remove backup: %w", err)
	}
	// Folders apply created, deepest first; one that something else now
	// uses (not empty) stays.
	dirs := slices.Clone(b.Dirs)
	slices.SortFunc(dirs, func(x, y string) int { return strings.Count(y, "/") - strings.Count(x, "/") })
	for _, d := range dirs {
		_ = os.Remove(filepath.Join(dest, d))
	}
	return nil
}

func revertServices(ctx context.Context, b Backup, sys System, out io.Writer) error {
	if len(b.Postgres) > 0 {
		if sys.Postgres == nil {
			return errors.New("cannot revert postgres settings: DATABASE_URL is not set")
		}
		for _, v := range b.Postgres {
			if err := alterSystem(ctx, sys.Postgres, v.Key, v.Old, v.Set); err != nil {
				return err
			}
			fmt.Fprintf(out, "restore postgres %s\n", v.Key)
		}
		if err := reloadPostgres(ctx, sys.Postgres); err != nil {
			return err
		}
	}
	if len(b.Redis) > 0 {
		if sys.Redis == nil {
			return errors.New("cannot revert redis settings: REDIS_URL is not set")
		}
		r := sys.Redis
		for _, v := range b.Redis {
			err := r.Do(ctx, r.B().ConfigSet().ParameterValue().ParameterValue(v.Key, v.Old).Build()).Error()
			if err != nil && !redisStartOnly[v.Key] {
				return fmt.Errorf("cannot restore redis config %s: %w", v.Key, err)
			}
			fmt.Fprintf(out, "restore redis %s = %s\n", v.Key, v.Old)
		}
	}
	return nil
}

func restoreFile(dest string, f FileBackup, out io.Writer) error {
	p := filepath.Join(dest, f.Path)
	if !f.Existed {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("cannot remove %s: %w", p, err)
		}
		fmt.Fprintf(out, "remove %s\n", p)
		return nil
	}
	mode := f.Mode
	if mode == 0 {
		mode = 0o644
	}
	if err := os.WriteFile(p, f.Content, mode); err != nil {
		return fmt.Errorf("cannot restore %s: %w", p, err)
	}
	if err := os.Chmod(p, mode); err != nil {
		return fmt.Errorf("cannot restore mode of %s: %w", p, err)
	}
	fmt.Fprintf(out, "restore %s\n", p)
	return nil
}
