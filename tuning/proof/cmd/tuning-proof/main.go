// Command tuning-proof measures whether the tuning profiles matter on this
// machine (make tuning-proof): a connection burst in a namespace with the
// kernel's defaults against one with the profile's net.* values, and the
// batched webhook ingestion and pgbench select-only against a default and
// a tuned throwaway Postgres. It writes tuning/results/<timestamp>/.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/echosenseix/echosenseix/loadtests/netns"
	"github.com/echosenseix/echosenseix/loadtests/tunecli"
	"github.com/echosenseix/echosenseix/tuning/proof"
)

func main() {
	if len(os.Args) > 1 && (os.Args[1] == proof.ModeListen || os.Args[1] == proof.ModeDial) {
		os.Exit(proof.RunChild(os.Args[1], os.Args[2:], os.Stdout, os.Stderr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stderr))
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("tuning-proof", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "tuning/results", "results root")
	tune := fs.String("tune", tunecli.DefaultBin, "the tuning tool")
	tier := fs.String("tier", "10k", "profile tier")
	conns := fs.Int("conns", 20000, "connections in the burst")
	procs := fs.Int("procs", 4, "dialer processes")
	busy := fs.Duration("busy", time.Second, "accept loop busy at the burst's start")
	rounds := fs.Int("rounds", 2, "rounds per profile (alternating)")
	pgSeconds := fs.Int("pg-seconds", 15, "seconds per pgbench run")
	skipPG := fs.Bool("skip-postgres", false, "kernel part only")
	render := fs.String("render", "", "only rewrite report.md and proof.png of this results dir from its results.json.gz")
	if fs.Parse(args) != nil {
		return 2
	}
	if *render != "" {
		if err := proof.Render(*render); err != nil {
			fmt.Fprintln(stderr, "tuning-proof:", err)
			return 1
		}
		return 0
	}
	if why := netns.Available(); why != "" {
		fmt.Fprintln(stderr, "tuning-proof:", why)
		return 2
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(stderr, "tuning-proof: cannot find own binary:", err)
		return 2
	}
	tool := tunecli.Find(*tune)
	rep := proof.Report{Start: time.Now().UTC(), Tier: *tier, ToolAvailable: tool.Available()}
	rep.Kernel, err = proof.Kernel(ctx, proof.BurstConfig{Self: self, Conns: *conns, Procs: *procs, Spread: time.Second,
		Busy: *busy, DialTimeout: 3 * time.Second}, *rounds, tool, *tier)
	if err != nil {
		fmt.Fprintln(stderr, "tuning-proof:", err)
		return 1
	}
	if !*skipPG {
		if rep.Postgres, err = proof.Postgres(ctx, tool, *tier, *rounds, *pgSeconds); err != nil {
			fmt.Fprintln(stderr, "tuning-proof:", err)
			return 1
		}
	}
	dir, err := proof.Write(*out, &rep)
	if err != nil {
		fmt.Fprintln(stderr, "tuning-proof:", err)
		return 1
	}
	fmt.Fprintf(stderr, "tuning-proof: %s\n", dir)
	return 0
}
