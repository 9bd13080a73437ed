// Command wsload holds many WebSocket (or keep-alive HTTP) connections to
// the server and reports whether they held: the connection proofs of
// the realtime and cluster connection proofs. See package wsload and loadtests/run-connections.sh.
//
//	wsload --mode ws --conns 100000 --target 127.0.0.1:5001 \
//	  --base-url http://127.0.0.1:5000 --seed seed.json --hold 5m \
//	  --server-pid $PID --out loadtests/results/ws-100k
//	wsload --mode http --conns 60000 --target 127.0.0.1:5000 --hold 2m --server-pid $PID
//
// Exit code: 0 every goal held, 1 a goal was missed, 2 usage or setup error.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/echosenseix/echosenseix/loadtests/wsload"
)

func main() {
	if wsload.IsChild() {
		os.Exit(wsload.ChildMain())
	}
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	var cfg wsload.Config
	var seed, addrs, out string
	fs := flag.NewFlagSet("wsload", flag.ContinueOnError)
	fs.StringVar(&cfg.Mode, "mode", wsload.ModeWS, "ws (WebSockets with events) or http (keep-alive GET every --http-every)")
	fs.StringVar(&cfg.Name, "name", "", "report title (default the mode)")
	fs.IntVar(&cfg.Conns, "conns", 1000, "connections to hold")
	fs.IntVar(&cfg.Procs, "procs", 0, fmt.Sprintf("generator processes (default conns / %d rounded up)", wsload.MaxConnsPerProc))
	fs.StringVar(&addrs, "addrs", strings.Join(wsload.DefaultAddrs, ","), "source addresses, comma-separated")
	fs.StringVar(&cfg.Target, "target", "127.0.0.1:5000", "host:port the connections go to (REALTIME_PORT for ws, PORT for http)")
	fs.StringVar(&cfg.Path, "path", "", "request path (default /ws/realtime-sync or /health/live)")
	fs.StringVar(&cfg.BaseURL, "base-url", "http://127.0.0.1:5000", "ws: HTTP API for logins, tokens and webhooks")
	fs.StringVar(&seed, "seed", "", "ws: seed JSON (echosenseix serve --seed-out, or echosenseix seed)")
	fs.IntVar(&cfg.Orgs, "orgs", 0, "ws: organizations of the seed used (default all)")
	fs.IntVar(&cfg.BigOrgConns, "big-org-conns", 0, "ws: sockets of the first organization, the one receiving events (default min(10000, conns))")
	fs.IntVar(&cfg.ConnsPerUser, "conns-per-user", 1000, "ws: sockets sharing one user's token")
	fs.Float64Var(&cfg.Rate, "rate", 2000, "connections opened per second, overall")
	fs.IntVar(&cfg.Dialers, "dialers", 32, "dialing goroutines per process")
	fs.DurationVar(&cfg.Settle, "settle", 0, "pause between ramp and hold, sockets held but no events timed (default 10s; negative none)")
	fs.DurationVar(&cfg.Hold, "hold", 0, "hold time once every connection is up (default 1m)")
	fs.Float64Var(&cfg.EventsPerSec, "events-per-sec", 1, "ws: signed post-call webhooks per second during the hold")
	fs.DurationVar(&cfg.PingEvery, "ping-every", 0, "ws: client heartbeat {type:ping} period (default 30s)")
	fs.DurationVar(&cfg.HTTPEvery, "http-every", 0, "http: request period per connection (default 10s)")
	fs.DurationVar(&cfg.Timeout, "timeout", 0, "dial+handshake and HTTP answer timeout (default 10s)")
	fs.DurationVar(&cfg.RampTimeout, "ramp-timeout", 0, "longest ramp (default 2 x conns/rate + 1m)")
	fs.IntVar(&cfg.ServerPID, "server-pid", 0, "pid of the server (cluster primary): its children's RSS is measured")
	fs.StringVar(&out, "out", "", "directory for report.json and report.md")
	quiet := fs.Bool("quiet", false, "no progress line")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg.Addrs = strings.Split(addrs, ",")
	if !*quiet {
		cfg.Progress = os.Stderr
	}
	if cfg.Mode == wsload.ModeWS {
		s, err := wsload.ReadSeed(seed)
		if err != nil {
			fmt.Fprintf(os.Stderr, "wsload: %v\n", err)
			return 2
		}
		cfg.Seed = s
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	r, err := wsload.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "wsload: %v\n", err)
		return 2
	}
	fmt.Print(r.Markdown())
	if out != "" {
		if err := r.Write(out); err != nil {
			fmt.Fprintf(os.Stderr, "wsload: %v\n", err)
			return 2
		}
	}
	if !r.Pass {
		return 1
	}
	return 0
}
