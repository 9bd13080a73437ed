package realtime

import (
	"encoding/json"

	"github.com/gobwas/ws"

	"github.com/echosenseix/echosenseix/server"
)

// CloseUser closes, with 1008 "logged out", the connections of userID in
// orgID on this process: those opened from session (a session tag), or
// every one of the user's when session is empty. It answers how many. Other
// instances close theirs when the server.EventSessionsEnded event reaches
// them through the bus.
func (h *Hub) CloseUser(orgID, userID, session string) int {
	h.mu.RLock()
	o := h.orgs[orgID]
	h.mu.RUnlock()
	if o == nil || userID == "" {
		return 0
	}
	var victims []*conn
	o.mu.Lock()
	for _, c := range o.conns {
		if c.userID == userID && (session == "" || c.session == session) {
			victims = append(victims, c)
		}
	}
	o.mu.Unlock()
	for _, c := range victims {
		c.drop(ws.StatusPolicyViolation, "logged out", ReasonLogout, true)
	}
	return len(victims)
}

// onSessionsEnded runs on the bus's delivery goroutine: the closes (which
// may wait on a write) run on their own goroutine.
func (h *Hub) onSessionsEnded(ev server.Event) {
	var d server.SessionsEnded
	if err := json.Unmarshal(ev.Data, &d); err != nil || d.UserID == "" {
		h.log.Warn("ignoring a malformed sessions_ended event", "err", err)
		return
	}
	h.mu.RLock()
	_, here := h.orgs[ev.OrganizationID]
	h.mu.RUnlock()
	if here {
		go h.CloseUser(ev.OrganizationID, d.UserID, d.Session)
	}
}
