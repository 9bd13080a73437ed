package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/echosenseix/echosenseix/server/cluster"
	"github.com/echosenseix/echosenseix/server/httpapi"
)

// startAdmin serves GET /health on ADMIN_ADDR (off when empty), so the
// detailed checks are not on the public port; /health/live and
// /health/ready stay there for load balancers. A cluster worker adds its
// slot to the port. It answers the function that stops the listener; a
// listener that cannot be opened is a start-up error (the detail would be
// nowhere).
func startAdmin(cfg *Config, log *slog.Logger, worker *cluster.Worker, srv *httpapi.Server) (stop func(), err error) {
	addr, err := slotAddr("ADMIN_ADDR", cfg.Hardening.AdminAddr, worker)
	if err != nil || addr == "" {
		return func() {}, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("ADMIN_ADDR=%s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/health", srv.HealthHandler())
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 10 * time.Second}
	return serveSide(hs, ln, log, "/health on the admin listener"), nil
}
