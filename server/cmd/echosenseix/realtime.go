package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	usecase "github.com/echosenseix/echosenseix/server/app"
	"github.com/echosenseix/echosenseix/server/cluster"
	"github.com/echosenseix/echosenseix/server/httpapi"
	"github.com/echosenseix/echosenseix/server/realtime"
)

// tuneNetpoll applies REALTIME_NETPOLL_BUFFER before any listener starts
// (netpoll reads it at each accept): 0 leaves netpoll's defaults.
func tuneNetpoll(cfg *Config) error {
	if cfg.Realtime.NetpollBuffer == 0 {
		return nil
	}
	if err := realtime.TuneNetpoll(cfg.Realtime.NetpollBuffer); err != nil {
		return fmt.Errorf("REALTIME_NETPOLL_BUFFER=%d: %w", cfg.Realtime.NetpollBuffer, err)
	}
	return nil
}

// listenRealtime opens the dedicated WebSocket listener of REALTIME_PORT
// (nil when it is 0). Every cluster worker binds its own socket with
// SO_REUSEPORT rather than sharing one descriptor from the primary: the
// kernel then spreads connections evenly over the workers by a hash of the
// address pair, while a shared socket lets whichever worker wakes first
// accept, which piles long-lived sockets onto few workers (each limited to
// 20,000 open files here). The cost, connections still in a dying worker's
// accept queue being reset, is one reconnect for a WebSocket client.
func listenRealtime(cfg *Config, worker *cluster.Worker) (net.Listener, error) {
	addr := cfg.RealtimeAddr()
	if addr == "" {
		return nil, nil
	}
	var ln net.Listener
	var err error
	if worker != nil {
		ln, err = cluster.ReusePortListener(context.Background(), addr)
	} else {
		ln, err = cluster.Listen(context.Background(), addr)
	}
	if err != nil {
		return nil, fmt.Errorf("REALTIME_PORT=%d: %w", cfg.Realtime.Port, err)
	}
	return ln, nil
}

// realtimeAuth applies the use cases' realtime rules (the ?token= query
// value, else the session cookie; the organization from the identity) for
// the dedicated listener, exactly as GET /ws/realtime-sync does.
func realtimeAuth(svc *usecase.Service) realtime.Authenticator {
	return func(ctx context.Context, r *http.Request) (string, string, string, error) {
		var sid []byte
		if c, err := r.Cookie(httpapi.SessionCookie); err == nil {
			sid = []byte(c.Value)
		}
		id, session, err := svc.AuthenticateRealtime(ctx, r.URL.Query().Get("token"), sid)
		if err != nil {
			return "", "", "", err
		}
		return id.OrgID, id.UserID, session, nil
	}
}

// serveRealtime serves the hub on ln until the hub shuts down (HTTP drain
// sends 1012 on both listeners); the answer is Serve's error.
func (a *app) serveRealtime(ln net.Listener, log *slog.Logger) <-chan error {
	done := make(chan error, 1)
	go func() {
		err := a.hub.Serve(ln, realtimeAuth(a.svc))
		if err != nil {
			log.Error("realtime listener stopped", "err", err)
		}
		done <- err
	}()
	log.Info("serving websockets on the dedicated listener", "addr", ln.Addr().String())
	return done
}
