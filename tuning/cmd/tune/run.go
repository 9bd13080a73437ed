package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/echosenseix/echosenseix/tuning"
)

const usage = "usage: tune plan|check|apply|revert|table [flags]; tune <command> -h lists the flags"

// usageError is bad usage: one line on stderr, exit 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func bad(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// run is the whole command, with its environment, for tests.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "tune: "+usage)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var err error
	switch args[0] {
	case "plan":
		err = cmdPlan(args[1:], getenv, stdout)
	case "check":
		err = cmdCheck(ctx, args[1:], getenv, stdout)
	case "apply":
		err = cmdApply(ctx, args[1:], getenv, stdout)
	case "revert":
		err = cmdRevert(ctx, args[1:], getenv, stdout)
	case "table":
		err = cmdTable(stdout)
	default:
		err = bad("unknown command %q; %s", args[0], usage)
	}
	return exitCode(err, stderr)
}

// errOff is a check that found settings off (exit 1, the report says which).
var errOff = errors.New("settings are off")

func exitCode(err error, stderr io.Writer) int {
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errOff):
		return 1
	case errors.As(err, &ue), errors.Is(err, tuning.ErrUnknownTier), errors.Is(err, tuning.ErrUnknownRole),
		errors.Is(err, tuning.ErrUnknownPart), errors.Is(err, tuning.ErrBadHost):
		fmt.Fprintln(stderr, "tune: "+oneLine(err))
		return 2
	}
	fmt.Fprintln(stderr, "tune: "+oneLine(err))
	return 1
}

func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

func cmdTable(stdout io.Writer) error {
	t, err := tuning.Table()
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, t)
	return err
}

func isRoot() bool { return os.Geteuid() == 0 }
