// Package tunecli is the one seam through which tooling (load runs, the
// tuning proof) calls the tuning tool bin/tune as a subprocess: `tune check`
// for a report header, `tune apply --only net` inside a network namespace,
// `tune plan --role postgres` for a postgresql.conf. When the binary is
// absent every call says so plainly and callers fall back to an explicit
// list of their own.
package tunecli

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"time"
)

// DefaultBin is where `make build` puts the tool.
const DefaultBin = "bin/tune"

// callTimeout bounds one call of the tool.
const callTimeout = 60 * time.Second

// NotAvailable is the header text when the tool is absent.
const NotAvailable = "not available"

// Runner makes the command that runs name args: exec.CommandContext on the
// host, or a namespace's Command to run it inside.
type Runner func(ctx context.Context, name string, args ...string) *exec.Cmd

// Host runs commands on the host.
var Host Runner = exec.CommandContext

// Tool is bin/tune at Bin.
type Tool struct {
	Bin string
}

// Find answers the tool at bin (DefaultBin when empty); Available is false
// when no executable is there.
func Find(bin string) Tool {
	if bin == "" {
		bin = DefaultBin
	}
	if st, err := os.Stat(bin); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		return Tool{}
	}
	return Tool{Bin: bin}
}

// Available reports whether the tool was found.
func (t Tool) Available() bool { return t.Bin != "" }

// CommandLine renders args as the tool's command line, for reports.
func (t Tool) CommandLine(args ...string) string {
	bin := t.Bin
	if bin == "" {
		bin = DefaultBin
	}
	return strings.Join(append([]string{bin}, args...), " ")
}

// run runs the tool through r with env (nil: inherited) and answers its
// stdout, stderr and exit code (-1 when it could not run).
func (t Tool) run(ctx context.Context, r Runner, env []string, args ...string) (stdout, stderr string, code int) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	cmd := r(ctx, t.Bin, args...)
	cmd.Env = env
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), errb.String(), ee.ExitCode()
	}
	if err != nil {
		return out.String(), err.Error(), -1
	}
	return out.String(), errb.String(), 0
}
