package httpapi

import (
	"context"
	"encoding/json"
	"time"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/echosenseix/echosenseix/server"
)

// handleLogout: POST /api/logout ends the session, closes the sockets
// opened from it and clears the cookie.
func (s *Server) handleLogout(ctx context.Context, c *app.RequestContext, id identity) {
	sid := c.Request.Header.Cookie(SessionCookie)
	s.idents.del(string(sid))
	sctx, cancel := context.WithTimeout(ctx, s.cfg.StoreTimeout)
	defer cancel()
	if err := s.d.Sessions.DeleteSession(sctx, string(sid)); err != nil && !server.IsNotFound(err) {
		s.writeError(ctx, c, err)
		return
	}
	s.endSockets(ctx, id, sessionTag(sid))
	s.setSessionCookie(c, "", -1)
	writeJSONBytes(c, 200, []byte(`{"status":"ok"}`))
}

// handleLogoutAll: POST /api/logout-all, "log out everywhere": ends every
// session of the user, refuses the realtime tokens issued before now,
// closes the user's sockets on every instance and clears the cookie.
func (s *Server) handleLogoutAll(ctx context.Context, c *app.RequestContext, id identity) {
	sctx, cancel := context.WithTimeout(ctx, s.cfg.StoreTimeout)
	defer cancel()
	if _, err := s.d.Sessions.EndUserSessions(sctx, id.UserID); err != nil {
		s.writeError(ctx, c, err)
		return
	}
	s.idents.delUser(id.UserID)
	s.endSockets(ctx, id, "")
	s.setSessionCookie(c, "", -1)
	writeJSONBytes(c, 200, []byte(`{"status":"ok"}`))
}

// endSockets closes the user's sockets opened from session (a tag; "" for
// all of the user's): on this instance at once, on the others through the
// bus. A bus failure is logged: those sockets stay until they reconnect.
func (s *Server) endSockets(ctx context.Context, id identity, session string) {
	if rc, ok := s.d.Realtime.(socketCloser); ok {
		rc.CloseUser(id.OrgID, id.UserID, session)
	}
	data, err := json.Marshal(server.SessionsEnded{UserID: id.UserID, Session: session})
	if err != nil {
		s.log.Error("cannot encode sessions_ended", "err", err)
		return
	}
	ev := server.Event{Type: server.EventSessionsEnded, OrganizationID: id.OrgID, Data: data, Timestamp: time.Now().UTC()}
	pctx, cancel := context.WithTimeout(ctx, s.cfg.StoreTimeout)
	defer cancel()
	if err := s.d.Bus.Publish(pctx, ev); err != nil {
		s.log.Warn("cannot publish sessions_ended: sockets on other instances stay open", "user", id.UserID, "err", err)
	}
}
