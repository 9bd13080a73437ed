package realtime

import (
	"time"

	"github.com/gobwas/ws"
)

// heartbeatSlices is how many parts the connections are split into (by
// conn.slot, round robin at join): every PingInterval/heartbeatSlices one
// part is pinged, so pings and the pongs they bring back are spread over the
// interval instead of arriving as one burst of every connection at once (at
// 100,000 sockets a burst starved the workers for seconds: fan-out p99 went
// from ~150 ms to over 1 s every 30 s).
const heartbeatSlices = 32

// heartbeat is the hub's one timer for every connection. Each tick it pings
// the connections of one slice that sent nothing for about a PingInterval
// (a client that talks, e.g. with its own {type:"ping"}, needs no ping), and
// drops the connections of the slice pinged PongTimeout ago that have sent
// nothing since their ping.
func (h *Hub) heartbeat() {
	defer h.wg.Done()
	tick := max(h.cfg.PingInterval/heartbeatSlices, time.Millisecond)
	lag := min(int((h.cfg.PongTimeout+tick-1)/tick), heartbeatSlices) // ticks from ping to pong check
	t := time.NewTicker(tick)
	defer t.Stop()
	var conns []*conn
	for i := 0; ; i = (i + 1) % heartbeatSlices {
		select {
		case <-t.C:
		case <-h.done:
			return
		}
		now := h.now()
		check := uint8((i - lag + heartbeatSlices) % heartbeatSlices)
		conns = h.snapshot(conns)
		for _, c := range conns {
			h.beat(c, uint8(i), check, now, int64(h.cfg.PingInterval-tick))
		}
		clear(conns)
	}
}

// beat drops c if its slice is due for the pong check and it stayed silent
// since its ping, or pings it if its slice is due and it was quiet for quiet.
func (h *Hub) beat(c *conn, ping, check uint8, now, quiet int64) {
	if c.slot == check {
		if p := c.pingAt.Load(); p != 0 && c.lastSeen.Load() < p {
			go c.drop(ws.StatusPolicyViolation, "heartbeat timeout", ReasonTimeout, false)
			return
		}
	}
	if c.slot == ping && now-c.lastSeen.Load() >= quiet {
		c.pingAt.Store(now)
		c.needPing.Store(true)
		h.schedule(c)
	}
}
