package suite_test

import (
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/integration/harness"
)

// TestSessionsAcrossInstances: with SESSION_STORE=redis a session made on A
// works on B, and a logout on A ends it on A at once and on B within the
// invalidation delay, B having just used it.
func TestSessionsAcrossInstances(t *testing.T) {
	d := deploy(t, 2, 1, 1, 1, map[string]string{"SESSION_STORE": "redis", "CACHE_PROVIDER": "redis"})
	a, b := d.Insts[0], d.Insts[1]
	c := harness.Login(t, a, d.User.Email, d.User.Password)

	var u struct {
		Email          string `json:"email"`
		OrganizationID string `json:"organizationId"`
	}
	if err := c.Must(t, 200, "GET", b.URL+"/api/auth/user", nil).JSON(&u); err != nil {
		t.Fatal(err)
	}
	if u.Email != d.User.Email || u.OrganizationID != d.Org.ID {
		t.Errorf("GET /api/auth/user on B = %+v; want %s of %s", u, d.User.Email, d.Org.ID)
	}
	c.Must(t, 200, "GET", b.URL+"/api/agents", nil)
	c.Must(t, 200, "GET", a.URL+"/api/auth/user", nil)

	c.Must(t, 200, "POST", a.URL+"/api/logout", nil)
	ended := time.Now()
	if r, err := c.Do("GET", a.URL+"/api/auth/user", nil); err != nil {
		t.Fatalf("GET /api/auth/user on A after logout: %v", err)
	} else if r.Status != 401 {
		t.Errorf("GET /api/auth/user on A right after logout on A = %s; want 401", r)
	}
	// B drops its client-side copy when Redis' invalidation arrives: the
	// README's bound is logoutBound; poll up to 5 s to report how long it took.
	deadline := ended.Add(5 * time.Second)
	for time.Now().Before(deadline) {
		r, err := c.Do("GET", b.URL+"/api/auth/user", nil)
		if err == nil && r.Status == 401 {
			took := time.Since(ended)
			t.Logf("session ended on B %v after the logout on A", took.Round(time.Microsecond))
			if took > logoutBound {
				t.Errorf("session ended on B %v after the logout on A; want within %v", took, logoutBound)
			}
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Errorf("session still valid on B 5s after logout on A")
}

// logoutBound is how long another instance may still accept a session
// after a logout (the invalidation delay; 0.2-2 ms measured on loopback).
const logoutBound = 100 * time.Millisecond
