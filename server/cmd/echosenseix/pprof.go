package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	"github.com/echosenseix/echosenseix/server/cluster"
)

// pprofMux serves the net/http/pprof handlers under /debug/pprof/ on a mux
// of its own (never http.DefaultServeMux).
func pprofMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// pprofAddr is the address PPROF_ADDR gives this process: as set for a
// single process, the port plus the worker's slot for a cluster worker (so
// workers do not collide; port 0 stays 0, any free port).
func pprofAddr(cfg *Config, worker *cluster.Worker) (string, error) {
	return slotAddr("PPROF_ADDR", cfg.Ops.PprofAddr, worker)
}

// slotAddr is addr for a single process, its port plus the worker's slot
// for a cluster worker (port 0 stays 0); name is the setting, for errors.
func slotAddr(name, addr string, worker *cluster.Worker) (string, error) {
	if addr == "" || worker == nil {
		return addr, nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("%s=%q: %w", name, addr, err)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return "", fmt.Errorf("%s=%q: port is not a number", name, addr)
	}
	if n != 0 {
		n += worker.Slot
	}
	return net.JoinHostPort(host, strconv.Itoa(n)), nil
}

// startPprof serves the profiling endpoints on their own listener when
// PPROF_ADDR is set (off by default: the profiles expose internals, bind
// them to loopback). It answers the function that stops the listener; a
// listener that cannot be opened is logged and profiling stays off (the API
// still serves).
func startPprof(cfg *Config, log *slog.Logger, worker *cluster.Worker) (stop func()) {
	addr, err := pprofAddr(cfg, worker)
	if err != nil {
		log.Error("cannot serve pprof", "err", err)
		return func() {}
	}
	if addr == "" {
		return func() {}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Error("cannot serve pprof", "addr", addr, "err", err)
		return func() {}
	}
	// WriteTimeout stays off: /debug/pprof/profile?seconds=N writes after N s.
	srv := &http.Server{Handler: pprofMux(), ReadHeaderTimeout: 10 * time.Second}
	return serveSide(srv, ln, log, "pprof")
}
