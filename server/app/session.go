package app

import (
	"context"
	"encoding/json"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// Errors of a missing or bad session.
var (
	ErrNoSession  = server.Errorf(server.EUNAUTHORIZED, "not logged in")
	ErrBadSession = server.Errorf(server.EUNAUTHORIZED, "session expired or invalid")
)

// Identify resolves a session id (the cookie's value) to an identity,
// through the per-instance memo first; renewed is the session's new expiry
// when this lookup renewed it (the caller re-sets the cookie), else zero.
func (s *Service) Identify(ctx context.Context, sid []byte) (id Identity, renewed time.Time, err error) {
	if len(sid) == 0 {
		return Identity{}, time.Time{}, ErrNoSession
	}
	if len(sid) > 128 {
		return Identity{}, time.Time{}, ErrBadSession
	}
	now := time.Now().UnixNano()
	if id, ok := s.idents.get(sid, now); ok {
		return id, time.Time{}, nil
	}
	key := string(sid)
	sctx, cancel := s.storeCtx(ctx)
	defer cancel()
	sess, fresh, err := s.lookupSession(sctx, key)
	if server.IsNotFound(err) {
		return Identity{}, time.Time{}, ErrBadSession
	}
	if err != nil {
		return Identity{}, time.Time{}, err
	}
	id = Identity{UserID: sess.UserID, OrgID: sess.OrganizationID}
	s.idents.put(key, id, now, sess.ExpiresAt.UnixNano())
	if fresh {
		renewed = sess.ExpiresAt
	}
	return id, renewed, nil
}

// lookupSession reads the session, and whether this lookup renewed it when
// the store can tell (server.SessionRenewer).
func (s *Service) lookupSession(ctx context.Context, sid string) (*server.Session, bool, error) {
	if r, ok := s.d.Sessions.(server.SessionRenewer); ok {
		return r.SessionRenewed(ctx, sid)
	}
	sess, err := s.d.Sessions.Session(ctx, sid)
	return sess, false, err
}

// Logout ends the session sid of id and closes the sockets opened from it.
func (s *Service) Logout(ctx context.Context, id Identity, sid []byte) error {
	s.idents.del(string(sid))
	sctx, cancel := s.storeCtx(ctx)
	defer cancel()
	if err := s.d.Sessions.DeleteSession(sctx, string(sid)); err != nil && !server.IsNotFound(err) {
		return err
	}
	s.endSockets(ctx, id, SessionTag(sid))
	return nil
}

// LogoutAll is "log out everywhere": it ends every session of the user,
// refuses the realtime tokens issued before now and closes the user's
// sockets on every instance.
func (s *Service) LogoutAll(ctx context.Context, id Identity) error {
	sctx, cancel := s.storeCtx(ctx)
	defer cancel()
	if _, err := s.d.Sessions.EndUserSessions(sctx, id.UserID); err != nil {
		return err
	}
	s.idents.delUser(id.UserID)
	s.endSockets(ctx, id, "")
	return nil
}

// endSockets closes the user's sockets opened from session (a tag; "" for
// all of the user's): on this instance at once, on the others through the
// bus. A bus failure is logged: those sockets stay until they reconnect.
func (s *Service) endSockets(ctx context.Context, id Identity, session string) {
	if s.d.Sockets != nil {
		s.d.Sockets.CloseUser(id.OrgID, id.UserID, session)
	}
	data, err := json.Marshal(server.SessionsEnded{UserID: id.UserID, Session: session})
	if err != nil {
		s.log.ErrorContext(ctx, "cannot encode sessions_ended", "err", err)
		return
	}
	ev := server.Event{Type: server.EventSessionsEnded, OrganizationID: id.OrgID, Data: data, Timestamp: time.Now().UTC()}
	pctx, cancel := s.storeCtx(ctx)
	defer cancel()
	if err := s.d.Bus.Publish(pctx, ev); err != nil {
		s.log.WarnContext(ctx, "cannot publish sessions_ended: sockets on other instances stay open", "user", id.UserID, "err", err)
	}
}
