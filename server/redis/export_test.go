package redis

import (
	"testing"
	"time"
)

// waitGuard waits until g no longer holds key as written by this instance
// (its write window ended, so lookups of key may be served from the
// client-side cache again), failing tb after 3 s.
func waitGuard(tb testing.TB, g *writeGuard, key string) {
	tb.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for g.dirty(key) {
		if time.Now().After(deadline) {
			tb.Fatalf("key %q still inside this instance's write window after 3s", key)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// WaitWriteWindow waits until st's own last write of id no longer keeps
// its lookups off the client-side cache (for package redis_test).
func (st *SessionStore) WaitWriteWindow(tb testing.TB, id string) {
	tb.Helper()
	waitGuard(tb, &st.guard, id)
}
