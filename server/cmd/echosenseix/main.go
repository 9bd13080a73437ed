// Command echosenseix is the EchoSenseiX server: configuration from the
// environment (config.go), wiring of the providers, and the subcommands
// serve (default), migrate, seed, health, version and config-table.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

const usage = `usage: echosenseix [command] [flags]

commands:
  serve         serve the API (default); clustered when CLUSTER_ENABLED and workers > 1
                flags: --seed-orgs N --seed-users U --seed-agents A --seed-password P --seed-out FILE
                (in-memory demo data; same as SEED_* variables)
  migrate       apply the database migrations (DATABASE_URL) and exit
  seed          create demo data in Postgres and print it as JSON
                flags: --orgs N --users U --agents A --password P --out FILE
  health        GET /health/live on the local PORT; exit 0 when it answers 200, else 1
                (the container HEALTHCHECK); flags: --url URL
  version       print the version
  config-table  print the configuration table (README)
  help          print this list (also -h, --help)
`

// stdout receives the help text; a test replaces it.
var stdout io.Writer = os.Stdout

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	cmd := "serve"
	if len(args) > 0 && isHelp(args[0]) {
		cmd, args = "help", args[1:]
	} else if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serveCmd(args)
	case "migrate":
		return migrateCmd(args)
	case "seed":
		return seedCmd(args)
	case "health":
		return healthCmd(args)
	case "version":
		fmt.Printf("echosenseix %s %s\n", version, runtime.Version())
		return 0
	case "config-table":
		fmt.Printf("%s\n%s%s\n", readmeTableBegin, configTable(), readmeTableEnd)
		return 0
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(os.Stderr, "echosenseix: unknown command %q: want serve, migrate, seed, health, version, config-table or help\n", cmd)
	return 2
}

// isHelp reports whether arg asks for the command list.
func isHelp(arg string) bool {
	switch arg {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}

func cpuCount() int { return runtime.NumCPU() }
