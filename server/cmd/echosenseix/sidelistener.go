package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// serveSide serves hs on ln in the background (the admin and pprof
// listeners beside the API), logging what it serves and why it stopped; it
// answers the function that shuts hs down within a second.
func serveSide(hs *http.Server, ln net.Listener, log *slog.Logger, what string) (stop func()) {
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error(what+" listener stopped", "err", err)
		}
	}()
	log.Info("serving "+what, "addr", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = hs.Shutdown(ctx)
	}
}
