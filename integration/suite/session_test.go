package suite_test

import (
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/integration/harness"
)

// TestSessionsAcrossInstances: with SESSION_STORE=redis a session made on A
// works on B, and a logout on A ends it on A and on B at once (issue 4:
// "ends on both at logout"), B having just used it.
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
	for _, i := range []*harness.Instance{a, b} {
		if r, err := c.Do("GET", i.URL+"/api/auth/user", nil); err != nil {
			t.Fatalf("GET /api/auth/user on %s after logout: %v", i.Name, err)
		} else if r.Status != 401 {
			t.Errorf("GET /api/auth/user on %s right after logout on A = %s; want 401", i.Name, r)
		}
	}
	// How long the session lived on B after the logout (the figure for the
	// report when the assertion above fails).
	deadline := ended.Add(5 * time.Second)
	for time.Now().Before(deadline) {
		r, err := c.Do("GET", b.URL+"/api/auth/user", nil)
		if err == nil && r.Status == 401 {
			t.Logf("session ended on B %v after the logout on A", time.Since(ended).Round(time.Millisecond))
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("session still valid on B 5s after logout on A")
}
