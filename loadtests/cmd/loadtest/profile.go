package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/echosenseix/echosenseix/loadtests/loadgen"
	"github.com/echosenseix/echosenseix/loadtests/netns"
	"github.com/echosenseix/echosenseix/loadtests/tunecli"
)

// Profiles of -profile: "" runs on the host as it is; defaults and tuned
// run everything inside a network namespace made for the run.
const (
	profileDefaults = "defaults"
	profileTuned    = "tuned"
)

// profileTiers are the tiers a tuning profile exists for; a smaller tier
// (smoke, a test's) runs under the smallest.
var profileTiers = map[string]bool{"1k": true, "10k": true, "100k": true}

func profileTier(tier string) string {
	if profileTiers[tier] {
		return tier
	}
	return "1k"
}

// hostEnvKeys point at services of the host's network, unreachable from a
// namespace: the run inside starts throwaway Postgres and Redis there.
var hostEnvKeys = []string{"DATABASE_URL", "TEST_DATABASE_URL", "REDIS_URL", "REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD", "REDIS_DB"}

// innerEnv is environ without hostEnvKeys.
func innerEnv(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, h := range hostEnvKeys {
			drop = drop || k == h
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}

// runInNamespace makes a namespace, sets the profile's sysctls in it
// (tuned) or leaves the kernel's (defaults), runs this same command inside
// it with -in-netns (so the stack helper's throwaway Postgres and Redis,
// the server and the load generator all start there and every packet stays
// there), and removes the namespace, whatever happens.
func runInNamespace(ctx context.Context, o options, args []string, stdout, stderr io.Writer) int {
	ns, err := netns.New(ctx, "es-lt")
	if err != nil {
		fmt.Fprintln(stderr, "loadtest:", err)
		return loadgen.ExitUsage
	}
	defer func() {
		if err := ns.Close(); err != nil {
			fmt.Fprintln(stderr, "loadtest:", err)
		}
	}()
	applied := "nothing (the kernel's defaults)"
	if o.profile == profileTuned {
		if applied, err = tunecli.Find(o.tune).ApplyNetIn(ctx, ns, profileTier(o.tier)); err != nil {
			fmt.Fprintln(stderr, "loadtest:", err)
			return loadgen.ExitUsage
		}
	}
	fmt.Fprintf(stderr, "loadtest: profile %s in network namespace %s; set: %s\n", o.profile, ns.Name, applied)
	self := o.self
	if self == "" {
		if self, err = os.Executable(); err != nil {
			fmt.Fprintln(stderr, "loadtest: cannot find own binary:", err)
			return loadgen.ExitUsage
		}
	}
	cmd := ns.Command(ctx, self, append(args, "-in-netns", ns.Name, "-applied", applied)...)
	cmd.Env = innerEnv(os.Environ())
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 60 * time.Second
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return loadgen.ExitPass
	case errors.As(err, &exit) && exit.ExitCode() > 0:
		return exit.ExitCode()
	}
	fmt.Fprintln(stderr, "loadtest: cannot run inside the namespace:", err)
	return loadgen.ExitUsage
}

// writeHostProfile states the run's profile: the namespace and what was
// set (from the outer run's flags), `tune check` as this process sees the
// host (inside the namespace when there is one), the net.* values in force.
func writeHostProfile(ctx context.Context, o options, tierName string, env []string, dir string) (string, error) {
	p := loadgen.HostProfile{Profile: o.profile, Tier: profileTier(tierName), Netns: o.inNetns, Applied: o.applied,
		Sysctls: netns.ReadSysctls(netns.NetKeys)}
	if p.Profile == "" {
		p.Profile = loadgen.ProfileNone
	}
	c := tunecli.Find(o.tune).Check(ctx, tunecli.Host, env, p.Tier, "app")
	p.TuneCheck = loadgen.TuneCheck{Command: c.Command, Summary: c.Summary, Output: c.Output}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return "", fmt.Errorf("cannot encode host profile: %w", err)
	}
	path := filepath.Join(dir, "host-profile.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return "", fmt.Errorf("cannot write host profile: %w", err)
	}
	return path, nil
}
