package realtime

import (
	"context"
	"fmt"
	"sync"

	"github.com/gobwas/ws"
)

// StatusServiceRestart (1012, RFC 6455's registry: "service restart") is
// the close code of a shutdown: the server is going away for a restart and
// the client should reconnect (with jitter) — to another instance behind a
// balancer, or to this one when it is back. ShutdownReason is the close
// frame's text, the same hint for a person reading a trace.
const (
	StatusServiceRestart = ws.StatusCode(1012)
	ShutdownReason       = "service restart: reconnect"
)

// Shutdown refuses new connections, stops the bus subscription and the
// running syncs, closes every socket with 1012 (service restart) so clients
// reconnect elsewhere, and waits for the connections to end or ctx.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.syncMu.Lock() // startSync and join check closing under these locks
	h.mu.Lock()
	h.closing.Store(true)
	h.mu.Unlock()
	h.syncMu.Unlock()
	if h.unsub != nil {
		h.unsub()
	}
	h.cancel()
	h.closeAll() // 1012 first: the event loops' Shutdown closes without a frame
	h.mu.RLock()
	loops := h.loops
	h.mu.RUnlock()
	for _, el := range loops {
		_ = el.Shutdown(ctx) // stops accepting, closes what is left
	}
	var err error
	for h.Count() > 0 && err == nil {
		select {
		case <-h.gone:
		case <-ctx.Done():
			err = fmt.Errorf("cannot shut down realtime hub: %d connections left: %w", h.Count(), ctx.Err())
		}
	}
	h.stop.Do(func() { close(h.done) })
	h.wg.Wait()
	return err
}

// closeAll sends 1012 to every connection, Writers at a time.
func (h *Hub) closeAll() {
	conns := h.snapshot(nil)
	var wg sync.WaitGroup
	per := (len(conns) + h.cfg.Writers - 1) / h.cfg.Writers
	for i := 0; i < len(conns); i += per {
		part := conns[i:min(i+per, len(conns))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, c := range part {
				c.drop(StatusServiceRestart, ShutdownReason, ReasonShutdown, true)
			}
		}()
	}
	wg.Wait()
}
