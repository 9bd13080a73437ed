package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/echosenseix/echosenseix/tuning"
)

func cmdPlan(args []string, getenv func(string) string, stdout io.Writer) error {
	c := newCommon("plan")
	var only string
	onlyFlag(c.fs, &only)
	if err := c.parse(args); err != nil {
		return err
	}
	pl, err := c.plan(getenv, only)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# plan %s for %s redis-use=%s\n", pl.Profile.Name(), describe(pl.Host), pl.Host.RedisUse)
	for _, f := range pl.Files {
		fmt.Fprintf(&b, "\n# ==> /%s\n%s", f.Path, f.Content)
	}
	_, err = stdout.Write(b.Bytes())
	return err
}

func cmdCheck(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	c := newCommon("check")
	var only, format, output string
	onlyFlag(c.fs, &only)
	c.fs.StringVar(&format, "format", "text", "text, json or prometheus")
	c.fs.StringVar(&output, "output", "", "write the report to this file (atomically, for node-exporter's textfile collector)")
	if err := c.parse(args); err != nil {
		return err
	}
	if format != "text" && format != "json" && format != "prometheus" {
		return bad("check: --format %q: want text, json or prometheus", format)
	}
	pl, err := c.plan(getenv, only)
	if err != nil {
		return err
	}
	sys, closeAll, err := connect(ctx, pl, getenv, true)
	if err != nil {
		return err
	}
	defer closeAll()
	rep, err := tuning.Check(ctx, pl, sys)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	switch format {
	case "json":
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	case "prometheus":
		err = rep.WritePrometheus(&b)
	default:
		err = rep.WriteText(&b)
	}
	if err == nil {
		err = emit(b.Bytes(), output, stdout)
	}
	if err != nil {
		return err
	}
	if !rep.OK {
		return errOff
	}
	return nil
}

// emit writes the report to stdout, or atomically to path.
func emit(data []byte, path string, stdout io.Writer) error {
	if path == "" {
		_, err := stdout.Write(data)
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tune-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

func cmdApply(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	c := newCommon("apply")
	var only, dest string
	var dryRun bool
	onlyFlag(c.fs, &only)
	c.fs.StringVar(&dest, "dest", "/", "root the files are written under")
	c.fs.BoolVar(&dryRun, "dry-run", false, "print what would change; change nothing")
	if err := c.parse(args); err != nil {
		return err
	}
	pl, err := c.plan(getenv, only)
	if err != nil {
		return err
	}
	sys, closeAll, err := connect(ctx, pl, getenv, false)
	if err != nil {
		return err
	}
	defer closeAll()
	err = tuning.Apply(ctx, pl, sys, tuning.ApplyOptions{Dest: dest, DryRun: dryRun, Root: isRoot(), Out: stdout})
	if errors.Is(err, tuning.ErrIncomplete) {
		return errOff
	}
	return err
}

func cmdRevert(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := newCommon("revert").fs
	var dest string
	fs.StringVar(&dest, "dest", "/", "root apply wrote under")
	if err := fs.Parse(args); err != nil {
		return bad("revert: %v", err)
	}
	if fs.NArg() > 0 {
		return bad("revert: unexpected argument %q", fs.Arg(0))
	}
	sys, closeAll, err := connectForRevert(ctx, dest, getenv)
	if err != nil {
		return err
	}
	defer closeAll()
	err = tuning.Revert(ctx, dest, sys, stdout)
	if errors.Is(err, os.ErrPermission) && !isRoot() {
		return fmt.Errorf("needs root: %w", err)
	}
	if errors.Is(err, tuning.ErrNothingToRevert) {
		fmt.Fprintf(stdout, "nothing to revert under %s\n", dest)
		return nil
	}
	if err == nil {
		fmt.Fprintf(stdout, "reverted everything apply recorded under %s\n", dest)
	}
	return err
}
