package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// ErrSyncRunning refuses a sync_request while the organization's sync runs.
var ErrSyncRunning = errors.New("sync already running")

// SyncData is the data of sync_* broadcasts.
type SyncData struct {
	AgentID  string `json:"agentId"`
	UserID   string `json:"userId,omitempty"`
	Progress int    `json:"progress"`
	Message  string `json:"message,omitempty"`
	Error    string `json:"error,omitempty"`
}

// DefaultSyncer reports progress 0, 20, ..., 100 at 100 ms steps and succeeds.
func DefaultSyncer(ctx context.Context, orgID, agentID string, progress func(percent int)) error {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for p := 0; p <= 100; p += 20 {
		progress(p)
		if p == 100 {
			break
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// startSync starts the organization's sync unless one already runs on this
// process. Its events are published on the bus, so every instance's clients
// of the organization see them.
func (h *Hub) startSync(orgID, agentID, userID string) error {
	h.syncMu.Lock()
	switch {
	case h.closing.Load():
		h.syncMu.Unlock()
		return errors.New("server shutting down")
	case h.syncing[orgID]:
		h.syncMu.Unlock()
		return ErrSyncRunning
	}
	h.syncing[orgID] = true
	h.wg.Add(1)
	h.syncMu.Unlock()
	if err := h.publish(orgID, server.EventSyncStarted, SyncData{AgentID: agentID, UserID: userID, Message: "sync started"}); err != nil {
		h.endSync(orgID)
		h.wg.Done()
		return errors.New("cannot start sync: event bus unavailable")
	}
	go h.runSync(orgID, agentID)
	return nil
}

func (h *Hub) endSync(orgID string) {
	h.syncMu.Lock()
	delete(h.syncing, orgID)
	h.syncMu.Unlock()
}

// runSync runs the Syncer and broadcasts its progress and outcome.
func (h *Hub) runSync(orgID, agentID string) {
	defer h.wg.Done()
	defer h.endSync(orgID)
	err := h.syncer(h.ctx, orgID, agentID, func(p int) {
		_ = h.publish(orgID, server.EventSyncProgress, SyncData{AgentID: agentID, Progress: p})
	})
	if err != nil {
		h.log.Warn("sync failed", "org", orgID, "agent", agentID, "err", err)
		_ = h.publish(orgID, server.EventSyncFailed, SyncData{AgentID: agentID, Error: err.Error()})
		return
	}
	_ = h.publish(orgID, server.EventSyncCompleted, SyncData{AgentID: agentID, Progress: 100, Message: "sync completed"})
}

// publish sends one organization event on the bus.
func (h *Hub) publish(orgID, typ string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), h.cfg.WriteTimeout)
	defer cancel()
	ev := server.Event{Type: typ, OrganizationID: orgID, Data: b, Timestamp: time.Now().UTC()}
	if h.bus == nil {
		h.onEvent(ev)
		return nil
	}
	if err := h.bus.Publish(ctx, ev); err != nil {
		h.log.Warn("cannot publish event", "type", typ, "org", orgID, "err", err)
		return err
	}
	return nil
}
