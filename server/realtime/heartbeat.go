package realtime

import (
	"time"

	"github.com/gobwas/ws"
)

// heartbeat is the hub's one timer for every connection: each
// PingInterval it queues a ping on every connection, and PongTimeout later
// it drops the connections that sent nothing since that ping.
func (h *Hub) heartbeat() {
	defer h.wg.Done()
	t := time.NewTimer(h.cfg.PingInterval)
	defer t.Stop()
	var conns []*conn
	for {
		select {
		case <-t.C:
		case <-h.done:
			return
		}
		pingAt := h.now()
		conns = h.snapshot(conns)
		for _, c := range conns {
			c.needPing.Store(true)
			h.schedule(c)
		}
		clear(conns)
		t.Reset(h.cfg.PongTimeout)
		select {
		case <-t.C:
		case <-h.done:
			return
		}
		conns = h.snapshot(conns)
		for _, c := range conns {
			if c.lastSeen.Load() < pingAt {
				go c.drop(ws.StatusPolicyViolation, "heartbeat timeout", ReasonTimeout, false)
			}
		}
		clear(conns)
		t.Reset(max(h.cfg.PingInterval-h.cfg.PongTimeout, time.Millisecond))
	}
}
