package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/echosenseix/echosenseix/loadtests/capacity"
	"github.com/echosenseix/echosenseix/loadtests/loadgen"
	"github.com/echosenseix/echosenseix/loadtests/tiers"
)

// runPlan is `loadtest plan`: the planner over the committed model (or
// -model, a make capacity results.json.gz or model.json).
func runPlan(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadtest plan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tier := fs.String("tier", "", "plan a tier of loadtests/tiers/tiers.json (the other workload flags then override it)")
	tiersFile := fs.String("tiers", "", "tiers JSON (default: the embedded one)")
	modelPath := fs.String("model", "", "model: results.json.gz or model.json of make capacity (default: loadtests/capacity/model.json, embedded)")
	users := fs.Int("users", 0, "concurrent users")
	think := fs.Float64("think", 0, "seconds between a user's page loads")
	webhooks := fs.Float64("webhooks", -1, "webhooks per second")
	orgs := fs.Int("orgs", 0, "organizations (webhooks and sockets spread evenly)")
	spu := fs.Float64("sockets-per-user", -1, "realtime sockets per user (default 1)")
	sessions := fs.Int("sessions", 0, "logins during the ramp (default: users)")
	ramp := fs.Float64("ramp", -1, "ramp seconds over which users log in and connect (0: steady state only)")
	workers := fs.Int("workers", 0, "server processes (default 1)")
	cores := fs.Float64("host-cores", 2, "cores of one host")
	memGiB := fs.Float64("host-mem-gib", 16, "memory of one host, GiB")
	headroom := fs.Float64("headroom", 0.7, "fraction of a host the plan fills")
	if err := fs.Parse(args); err != nil {
		return loadgen.ExitUsage
	}
	var w capacity.Workload
	if *tier != "" {
		t, err := tiers.LoadFrom(*tier, *tiersFile)
		if err != nil {
			fmt.Fprintln(stderr, "loadtest plan:", err)
			return loadgen.ExitUsage
		}
		w = capacity.FromTier(t)
	} else {
		w = capacity.Workload{SocketsPerUser: 1, Workers: 1}
	}
	if *users > 0 {
		w.Users = *users
	}
	if *think > 0 {
		w.ThinkSeconds = *think
	}
	if *webhooks >= 0 {
		w.Webhooks = *webhooks
	}
	if *orgs > 0 {
		w.Orgs = *orgs
	}
	if *spu >= 0 {
		w.SocketsPerUser = *spu
	}
	if *sessions > 0 {
		w.Sessions = *sessions
	}
	if *ramp >= 0 {
		w.RampSeconds = *ramp
	}
	if *workers > 0 {
		w.Workers = *workers
	}
	if w.Sessions == 0 {
		w.Sessions = w.Users
	}
	switch {
	case w.Users <= 0 || w.ThinkSeconds <= 0 || w.Orgs <= 0:
		fmt.Fprintln(stderr, "loadtest plan: want --tier NAME, or --users N --think S --orgs O (and --webhooks W)")
		return loadgen.ExitUsage
	case *cores <= 0 || *memGiB <= 0:
		fmt.Fprintln(stderr, "loadtest plan: --host-cores and --host-mem-gib must be > 0")
		return loadgen.ExitUsage
	}
	m, err := capacity.Default()
	if *modelPath != "" {
		m, err = capacity.ReadModel(*modelPath)
	}
	if err != nil {
		fmt.Fprintln(stderr, "loadtest plan:", err)
		return loadgen.ExitUsage
	}
	h := capacity.Host{Cores: *cores, MemoryBytes: *memGiB * (1 << 30), Headroom: *headroom}
	fmt.Fprintf(stdout, "model: %s, measured %s on %s\n", m.Label, m.Started, m.Machine)
	capacity.Predict(m, w, h).Print(stdout, h)
	return loadgen.ExitPass
}
