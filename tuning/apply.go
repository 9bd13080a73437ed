package tuning

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// ApplyOptions says where and how apply works.
type ApplyOptions struct {
	Dest   string // root the files are written under ("/" for the host)
	DryRun bool   // print what would change, change nothing
	Root   bool   // running as root (live kernel writes need it)
	Out    io.Writer
}

// ErrIncomplete means some step could not be done (its line says which).
var ErrIncomplete = errors.New("some steps were not applied")

type applier struct {
	ApplyOptions
	sys        System
	backup     Backup
	incomplete bool
	noted      map[string]bool // kinds whose file-only note was printed
}

func (a *applier) say(format string, args ...any) {
	if a.DryRun {
		format = "would " + format
	}
	fmt.Fprintf(a.Out, format+"\n", args...)
}

// Apply sets every writable item of pl live where it can (sysctl, sysfs,
// ALTER SYSTEM + pg_reload_conf, CONFIG SET) and writes the plan's files
// under Dest, recording first what it replaces (see Revert). A live value
// that already holds the plan is left as it is (apply never lowers a
// higher limit), and its line in the sysctl file is commented out.
func Apply(ctx context.Context, pl Plan, sys System, o ApplyOptions) error {
	a := &applier{ApplyOptions: o, sys: sys, noted: map[string]bool{}}
	b, _, err := loadBackup(o.Dest)
	if err != nil {
		return a.rootNote(err)
	}
	a.backup = b
	kept := map[string]bool{}
	for _, it := range pl.Writable() {
		if err := a.applyLive(ctx, it, kept); err != nil {
			return err
		}
	}
	if err := a.restartNotes(ctx, pl); err != nil {
		return err
	}
	for _, f := range render(withKept(pl, kept)) {
		if err := a.writeFile(f); err != nil {
			return err
		}
	}
	if a.incomplete {
		return ErrIncomplete
	}
	return nil
}

// withKept comments out the sysctl lines whose live value already holds.
func withKept(pl Plan, kept map[string]bool) Plan {
	out := pl
	out.Items = nil
	for _, it := range pl.Items {
		it.Kept = kept[it.ID()] && it.Kind == KindSysctl
		out.Items = append(out.Items, it)
	}
	return out
}

func (a *applier) applyLive(ctx context.Context, it Item, kept map[string]bool) error {
	switch {
	case it.Kind == KindLimits:
		fmt.Fprintf(a.Out, "note %s: written to the files only; run systemctl daemon-reload and restart %s to apply it\n", it.ID(), it.Service)
		return nil
	case it.Kind == KindNginx || it.Kind == KindHAProxy:
		a.noteOnce(it.Kind, "note %s settings: written as a snippet only; merge it into the %s config and reload", it.Kind, it.Kind)
		return nil
	case it.Kind == KindPostgres && a.sys.Postgres == nil:
		a.noteOnce(it.Kind, "note postgres settings: DATABASE_URL is not set, so only the file is written (no ALTER SYSTEM)")
		return nil
	case it.Kind == KindRedis && a.sys.Redis == nil:
		a.noteOnce(it.Kind, "note redis settings: REDIS_URL is not set, so only the file is written (no CONFIG SET)")
		return nil
	}
	live, err := a.sys.Read(ctx, it)
	if errors.Is(err, ErrNotHere) {
		a.say("skip %s: not present on this kernel or in this network namespace", it.ID())
		return nil
	}
	if err != nil {
		return err
	}
	if Compare(it.Compare, it.Want, live) == StatusOK {
		kept[it.ID()] = true
		a.say("keep %s = %s (holds %s %s)", it.ID(), live, it.Compare, it.Want)
		return nil
	}
	if (it.Kind == KindSysctl || it.Kind == KindSysfs) && !a.Root {
		a.incomplete = true
		fmt.Fprintf(a.Out, "needs root: %s not set live (%s -> %s); run tune apply as root\n", it.ID(), live, it.Want)
		return nil
	}
	a.say("set %s %s -> %s", it.ID(), live, it.Want)
	if a.DryRun {
		return nil
	}
	return a.setLive(ctx, it, live)
}

// noteOnce prints a note the first time kind needs it.
func (a *applier) noteOnce(kind, format string, args ...any) {
	if !a.noted[kind] {
		a.noted[kind] = true
		fmt.Fprintf(a.Out, format+"\n", args...)
	}
}

func (a *applier) setLive(ctx context.Context, it Item, live string) error {
	var err error
	switch it.Kind {
	case KindSysctl, KindSysfs:
		if !hasValue(a.backup.Live, it.Key) {
			a.backup.Live = append(a.backup.Live, ValueBackup{Kind: it.Kind, Key: it.Key, Old: live, Set: true})
		}
		if err = a.backup.save(a.Dest); err == nil {
			err = a.sys.writeKernel(it.Kind, it.Key, it.Want)
		}
	case KindPostgres:
		err = a.setPostgres(ctx, it)
	case KindRedis:
		err = a.setRedis(ctx, it)
	}
	return err
}

func (a *applier) writeFile(f File) error {
	p := filepath.Join(a.Dest, f.Path)
	old, err := os.ReadFile(p)
	existed := err == nil
	if existed && string(old) == f.Content {
		a.say("keep %s (unchanged)", p)
		return nil
	}
	a.say("write %s", p)
	if a.DryRun {
		return nil
	}
	if !a.backup.hasFile(f.Path) {
		fb := FileBackup{Path: f.Path, Existed: existed, Content: old}
		if st, err := os.Stat(p); err == nil {
			fb.Mode = st.Mode().Perm()
		}
		a.backup.Files = append(a.backup.Files, fb)
		if err := a.backup.save(a.Dest); err != nil {
			return a.rootNote(err)
		}
	}
	if err := a.backup.mkdirAll(a.Dest, filepath.Dir(f.Path)); err != nil {
		return a.rootNote(err)
	}
	if err := a.backup.save(a.Dest); err != nil {
		return a.rootNote(err)
	}
	if err := os.WriteFile(p, []byte(f.Content), 0o644); err != nil {
		return a.rootNote(fmt.Errorf("cannot write %s: %w", p, err))
	}
	return nil
}

// rootNote names root as the cure when a write was refused without it.
func (a *applier) rootNote(err error) error {
	if errors.Is(err, os.ErrPermission) && !a.Root {
		return fmt.Errorf("needs root: %w", err)
	}
	return err
}

func (s System) writeKernel(kind, key, value string) error {
	p := s.path(key)
	if kind == KindSysfs {
		p = s.sysfsPath(key)
	}
	if err := os.WriteFile(p, []byte(value+"\n"), 0o644); err != nil {
		return fmt.Errorf("cannot set %s: %w", key, err)
	}
	return nil
}

func (a *applier) restartNotes(ctx context.Context, pl Plan) error {
	if a.sys.Postgres == nil || a.DryRun {
		return nil
	}
	var names []string
	for _, it := range pl.Writable() {
		if it.Kind != KindPostgres {
			continue
		}
		var pending bool
		err := a.sys.Postgres.QueryRow(ctx, "SELECT pending_restart FROM pg_settings WHERE name = $1", it.Key).Scan(&pending)
		if err != nil {
			return fmt.Errorf("cannot read pg_settings: %w", err)
		}
		if pending {
			names = append(names, it.Key)
		}
	}
	if len(names) > 0 {
		fmt.Fprintf(a.Out, "restart Postgres to apply: %s\n", strings.Join(names, ", "))
	}
	return nil
}
