// Command gen writes the Grafana dashboards of package dashboards as JSON
// into dashboards/json (or the directory given by -out).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/echosenseix/echosenseix/dashboards"
)

func main() {
	out := flag.String("out", "dashboards/json", "directory receiving the dashboard JSON files")
	flag.Parse()
	if err := dashboards.WriteAll(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
