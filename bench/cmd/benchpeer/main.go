// Command benchpeer serves bench/peer (plain net/http + encoding/json) over
// its demo data, as the peer process of `make bench`; with -server hertz it
// serves bench/hertzpeer (bare hertz) instead. It prints "listening on
// ADDR" once the socket is bound.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/echosenseix/echosenseix/bench/hertzpeer"
	"github.com/echosenseix/echosenseix/bench/peer"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	agents := flag.Int("agents", 10, "demo agents")
	calls := flag.Int("calls", 200, "demo call logs")
	kind := flag.String("server", "nethttp", "nethttp (bench/peer) or hertz (bench/hertzpeer: /health/live and /api/agents/:id only)")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("cannot listen on %s: %v", *addr, err)
	}
	switch *kind {
	case "hertz":
		h := hertzpeer.New(ln, *agents)
		fmt.Fprintf(os.Stdout, "listening on %s\n", ln.Addr())
		h.Spin()
		return
	case "nethttp":
	default:
		log.Fatalf("-server %q: want nethttp or hertz", *kind)
	}
	srv := &http.Server{Handler: peer.New(peer.DemoConfig(*agents, *calls)),
		ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	fmt.Fprintf(os.Stdout, "listening on %s\n", ln.Addr())
	log.Fatal(srv.Serve(ln))
}
