// Package sessiontest is the contract every server.SessionStore provider
// passes (memory, Redis). Call Run from the provider's tests with a
// constructor that returns a fresh store with the given TTL.
//
// The suite is safe against a shared, real backend: session ids are random
// (128 bits, base64url, as the cookie carries) and it deletes what it made.
// Timing: TTLs of 300-600 ms and waits with deadlines of 5 s; expiry must be
// precise to about 100 ms (Redis PX is).
package sessiontest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"sync"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

const waitLimit = 5 * time.Second

// Run runs the contract against stores made by newStore.
func Run(t *testing.T, newStore func(t testing.TB, ttl time.Duration) server.SessionStore) {
	tests := []struct {
		name string
		ttl  time.Duration
		fn   func(t *testing.T, s server.SessionStore, ttl time.Duration)
	}{
		{"CreateGet", time.Hour, testCreateGet},
		{"Unknown", time.Hour, testUnknown},
		{"Delete", time.Hour, testDelete},
		{"Invalid", time.Hour, testInvalid},
		{"Duplicate", time.Hour, testDuplicate},
		{"Expiry", 300 * time.Millisecond, testExpiry},
		{"SlidingExpiry", 600 * time.Millisecond, testSliding},
		{"Concurrent", time.Hour, testConcurrent},
		{"EndUserSessions", time.Hour, testEndUser},
		{"Renewed", time.Second, testRenewed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newStore(t, tt.ttl), tt.ttl)
		})
	}
}

// NewID returns a random session id (128 bits, base64url).
func NewID(tb testing.TB) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// MustCreate creates a session for a random id or fails the test; the
// session is deleted at cleanup.
func MustCreate(tb testing.TB, s server.SessionStore) *server.Session {
	tb.Helper()
	sess := &server.Session{ID: NewID(tb), UserID: "user-" + NewID(tb), OrganizationID: "org-" + NewID(tb)}
	if err := s.CreateSession(context.Background(), sess); err != nil {
		tb.Fatalf("CreateSession: %v", err)
	}
	tb.Cleanup(func() { _ = s.DeleteSession(context.Background(), sess.ID) })
	return sess
}

// wantGone asserts Session(id) answers ENOTFOUND.
func wantGone(tb testing.TB, s server.SessionStore, id string) {
	tb.Helper()
	got, err := s.Session(context.Background(), id)
	if !server.IsNotFound(err) {
		tb.Fatalf("Session(%q): got (%+v, %v); want ENOTFOUND", id, got, err)
	}
}

// near reports whether a is within d of b.
func near(a, b time.Time, d time.Duration) bool {
	diff := a.Sub(b)
	return diff > -d && diff < d
}

func testCreateGet(t *testing.T, s server.SessionStore, ttl time.Duration) {
	before := time.Now()
	sess := MustCreate(t, s)
	if sess.CreatedAt.IsZero() || !near(sess.ExpiresAt, before.Add(ttl), 5*time.Second) {
		t.Errorf("created: got createdAt=%v expiresAt=%v; want set, about now+%v", sess.CreatedAt, sess.ExpiresAt, ttl)
	}
	got, err := s.Session(context.Background(), sess.ID)
	if err != nil {
		t.Fatalf("Session: %v", err)
	}
	if got.ID != sess.ID || got.UserID != sess.UserID || got.OrganizationID != sess.OrganizationID {
		t.Errorf("got %+v; want %+v", got, sess)
	}
	if !near(got.CreatedAt, sess.CreatedAt, time.Millisecond) {
		t.Errorf("createdAt: got %v; want %v (to the millisecond)", got.CreatedAt, sess.CreatedAt)
	}
	if !near(got.ExpiresAt, time.Now().Add(ttl), 5*time.Second) {
		t.Errorf("expiresAt: got %v; want about now+%v", got.ExpiresAt, ttl)
	}
	got.UserID = "changed"
	if again, err := s.Session(context.Background(), sess.ID); err != nil || again.UserID != sess.UserID {
		t.Errorf("changing a returned session changed the store: got (%+v, %v)", again, err)
	}
}

func testUnknown(t *testing.T, s server.SessionStore, _ time.Duration) {
	wantGone(t, s, NewID(t))
	wantGone(t, s, "")
}

func testDelete(t *testing.T, s server.SessionStore, _ time.Duration) {
	a, b := MustCreate(t, s), MustCreate(t, s)
	if err := s.DeleteSession(context.Background(), a.ID); err != nil {
		t.Fatalf("DeleteSession: %v", err)
	}
	wantGone(t, s, a.ID)
	if _, err := s.Session(context.Background(), b.ID); err != nil {
		t.Fatalf("other session after a delete: got %v; want it alive", err)
	}
	if err := s.DeleteSession(context.Background(), a.ID); err != nil {
		t.Fatalf("DeleteSession twice: got %v; want nil", err)
	}
	if err := s.DeleteSession(context.Background(), NewID(t)); err != nil {
		t.Fatalf("DeleteSession(unknown): got %v; want nil", err)
	}
}

func testInvalid(t *testing.T, s server.SessionStore, _ time.Duration) {
	err := s.CreateSession(context.Background(), &server.Session{UserID: "u", OrganizationID: "o"})
	if code := server.ErrorCode(err); code != server.EINVALID {
		t.Fatalf("CreateSession with no id: got %v (code %q); want %q", err, code, server.EINVALID)
	}
}

func testDuplicate(t *testing.T, s server.SessionStore, _ time.Duration) {
	sess := MustCreate(t, s)
	dup := &server.Session{ID: sess.ID, UserID: "intruder", OrganizationID: "other"}
	if code := server.ErrorCode(s.CreateSession(context.Background(), dup)); code != server.ECONFLICT {
		t.Fatalf("CreateSession with an id in use: got code %q; want %q", code, server.ECONFLICT)
	}
	if got, err := s.Session(context.Background(), sess.ID); err != nil || got.UserID != sess.UserID {
		t.Fatalf("after a refused duplicate: got (%+v, %v); want the original", got, err)
	}
}

// testExpiry: an unused session ends within a deadline, not before its TTL.
func testExpiry(t *testing.T, s server.SessionStore, ttl time.Duration) {
	start := time.Now()
	sess := MustCreate(t, s)
	deadline := start.Add(waitLimit)
	for {
		// Poll without touching the session: reading it would slide it.
		// The probe is a Session call only once the TTL has passed.
		if time.Since(start) > ttl {
			if _, err := s.Session(context.Background(), sess.ID); server.IsNotFound(err) {
				break
			} else if err != nil {
				t.Fatalf("Session: %v", err)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("session with TTL %v alive after %v", ttl, time.Since(start))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// testSliding: reading a session every 100 ms keeps it alive well past its
// TTL (each read moves ExpiresAt forward); left alone it then expires. A
// read that comes later than 80% of the TTL after the previous one (the test
// itself was starved) proves nothing, so the run starts over with a new
// session, within an overall deadline.
func testSliding(t *testing.T, s server.SessionStore, ttl time.Duration) {
	deadline := time.Now().Add(4*ttl + waitLimit)
	for !slideOnce(t, s, ttl) {
		if time.Now().After(deadline) {
			t.Fatal("test starved: could not read a session more often than its TTL")
		}
	}
}

// slideOnce reads a new session every 100 ms for 2.5 TTLs, then waits for
// it to expire. It answers false when the test was starved and must retry.
func slideOnce(t *testing.T, s server.SessionStore, ttl time.Duration) bool {
	sess := MustCreate(t, s)
	start := time.Now()
	lastTouch, lastExp := start, sess.ExpiresAt
	for time.Since(start) < 2*ttl+ttl/2 {
		time.Sleep(100 * time.Millisecond)
		got, err := s.Session(context.Background(), sess.ID)
		if gap := time.Since(lastTouch); gap > ttl*8/10 {
			return false
		}
		if err != nil {
			t.Fatalf("Session after %v of use (TTL %v, last read %v ago): got %v; want it kept alive",
				time.Since(start), ttl, time.Since(lastTouch), err)
		}
		if got.ExpiresAt.Before(lastExp) {
			t.Fatalf("expiresAt went back: got %v; want >= %v", got.ExpiresAt, lastExp)
		}
		lastTouch, lastExp = time.Now(), got.ExpiresAt
	}
	if !lastExp.After(sess.ExpiresAt.Add(ttl)) {
		t.Fatalf("expiresAt: got %v; want later than created+2*TTL (%v)", lastExp, sess.ExpiresAt.Add(ttl))
	}
	deadline := lastTouch.Add(waitLimit)
	for {
		time.Sleep(ttl / 4)
		if time.Since(lastTouch) <= ttl {
			continue
		}
		if _, err := s.Session(context.Background(), sess.ID); server.IsNotFound(err) {
			return true
		}
		if time.Now().After(deadline) {
			t.Fatalf("session still alive %v after its last use (TTL %v)", time.Since(lastTouch), ttl)
		}
	}
}

func testConcurrent(t *testing.T, s server.SessionStore, _ time.Duration) {
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for range 50 {
				sess := &server.Session{ID: NewID(t), UserID: "u", OrganizationID: "o"}
				if err := s.CreateSession(ctx, sess); err != nil {
					errs <- err
					return
				}
				if got, err := s.Session(ctx, sess.ID); err != nil || got.ID != sess.ID {
					errs <- err
					return
				}
				if err := s.DeleteSession(ctx, sess.ID); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// mustCreateFor creates a session of user or fails the test.
func mustCreateFor(tb testing.TB, s server.SessionStore, user string) *server.Session {
	tb.Helper()
	sess := &server.Session{ID: NewID(tb), UserID: user, OrganizationID: "org"}
	if err := s.CreateSession(context.Background(), sess); err != nil {
		tb.Fatalf("CreateSession: %v", err)
	}
	tb.Cleanup(func() { _ = s.DeleteSession(context.Background(), sess.ID) })
	return sess
}

// testEndUser: "log out everywhere" ends every session of the user and
// none of another user's, records the not-before time, and the user can
// log in again.
func testEndUser(t *testing.T, s server.SessionStore, _ time.Duration) {
	ctx := context.Background()
	u, v := "user-"+NewID(t), "user-"+NewID(t)
	mine := []*server.Session{mustCreateFor(t, s, u), mustCreateFor(t, s, u), mustCreateFor(t, s, u)}
	other := mustCreateFor(t, s, v)
	if err := s.DeleteSession(ctx, mine[2].ID); err != nil { // a plain logout first
		t.Fatal(err)
	}
	if nbf, err := s.UserNotBefore(ctx, u); err != nil || !nbf.IsZero() {
		t.Fatalf("UserNotBefore before any logout everywhere: got (%v, %v); want zero", nbf, err)
	}
	before := time.Now()
	at, err := s.EndUserSessions(ctx, u)
	if err != nil {
		t.Fatalf("EndUserSessions: %v", err)
	}
	if !near(at, before, time.Second) {
		t.Errorf("EndUserSessions time: got %v; want about %v", at, before)
	}
	for _, sess := range mine {
		wantGone(t, s, sess.ID)
	}
	if _, err := s.Session(ctx, other.ID); err != nil {
		t.Fatalf("another user's session after EndUserSessions: got %v; want it alive", err)
	}
	nbf, err := s.UserNotBefore(ctx, u)
	if err != nil || !near(nbf, at, 2*time.Millisecond) {
		t.Errorf("UserNotBefore: got (%v, %v); want %v", nbf, err, at)
	}
	if nbf, err := s.UserNotBefore(ctx, v); err != nil || !nbf.IsZero() {
		t.Errorf("UserNotBefore(other user): got (%v, %v); want zero", nbf, err)
	}
	again := mustCreateFor(t, s, u)
	if _, err := s.Session(ctx, again.ID); err != nil {
		t.Fatalf("a login after EndUserSessions: got %v; want it alive", err)
	}
	if _, err := s.EndUserSessions(ctx, "user-"+NewID(t)); err != nil {
		t.Fatalf("EndUserSessions of a user with no session: got %v; want nil", err)
	}
}

// testRenewed: the lookup that extends the session says so (the store is
// a server.SessionRenewer) and carries the new expiry; lookups soon after
// do not extend it again (renewals at most every tenth of the TTL, so the
// cookie is re-set that rarely).
func testRenewed(t *testing.T, s server.SessionStore, ttl time.Duration) {
	r, ok := s.(server.SessionRenewer)
	if !ok {
		t.Fatalf("%T is not a server.SessionRenewer", s)
	}
	ctx := context.Background()
	sess := MustCreate(t, s)
	if got, renewed, err := r.SessionRenewed(ctx, sess.ID); err != nil || renewed {
		t.Fatalf("lookup of a fresh session: got (%+v, renewed %v, %v); want not renewed", got, renewed, err)
	}
	time.Sleep(ttl/10 + 50*time.Millisecond)
	got, renewed, err := r.SessionRenewed(ctx, sess.ID)
	if err != nil || !renewed {
		t.Fatalf("lookup %v after the last extension (TTL %v): got (%+v, renewed %v, %v); want renewed", ttl/10+50*time.Millisecond, ttl, got, renewed, err)
	}
	if !near(got.ExpiresAt, time.Now().Add(ttl), 100*time.Millisecond) {
		t.Errorf("renewed expiresAt: got %v; want about now+%v", got.ExpiresAt, ttl)
	}
	again := 0
	for range 5 {
		time.Sleep(2 * time.Millisecond)
		if _, renewed, err := r.SessionRenewed(ctx, sess.ID); err != nil {
			t.Fatalf("SessionRenewed: %v", err)
		} else if renewed {
			again++
		}
	}
	if again != 0 {
		t.Errorf("5 lookups right after a renewal: got %d renewed; want 0", again)
	}
}
