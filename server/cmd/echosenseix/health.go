package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

// healthTimeout bounds the whole `echosenseix health` request: a container
// HEALTHCHECK or a probe counts a hung server as unhealthy, never waits on it.
const healthTimeout = 3 * time.Second

// healthCmd is `echosenseix health`: GET /health/live on the local port the
// server's own configuration names (PORT, HOST), exit 0 on 200 and 1
// otherwise. It needs no shell nor curl, so a distroless image's HEALTHCHECK
// can run it.
func healthCmd(args []string) int {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	url := fs.String("url", "", "URL to GET instead of http://<HOST or 127.0.0.1>:<PORT>/health/live")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	target := *url
	if target == "" {
		cfg, err := loadConfig(environMap(os.Environ()))
		if err != nil {
			fmt.Fprintf(os.Stderr, "echosenseix health: %v\n", err)
			return 1
		}
		target = "http://" + net.JoinHostPort(localHost(cfg.HTTP.Host), strconv.Itoa(cfg.HTTP.Port)) + "/health/live"
	}
	if err := getOK(target); err != nil {
		fmt.Fprintf(os.Stderr, "echosenseix health: %v\n", err)
		return 1
	}
	return 0
}

// localHost is the address a local client reaches a server bound to host
// at: the loopback for every interface, else host itself.
func localHost(host string) string {
	switch host {
	case "", "0.0.0.0", "::", "[::]":
		return "127.0.0.1"
	}
	return host
}

// getOK answers nil when GET url answers 200 within healthTimeout.
func getOK(url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), healthTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}
