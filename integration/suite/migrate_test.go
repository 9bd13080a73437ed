package suite_test

import (
	"testing"

	"github.com/echosenseix/echosenseix/integration/harness"
	"github.com/echosenseix/echosenseix/internal/stack"
)

// TestConcurrentMigrations: four instances started at once on a fresh
// database all migrate (under the advisory lock) and become ready; the
// schema then works through every one of them.
func TestConcurrentMigrations(t *testing.T) {
	dsn := stack.Postgres(t)
	insts := harness.StartInstances(t, 4, map[string]string{"DATABASE_URL": dsn})
	seed := harness.Seed(t, dsn, 1, 1, 1)
	u, agent := seed.Organizations[0].Users[0], seed.Organizations[0].Agents[0]
	for _, i := range insts {
		c := harness.Login(t, i, u.Email, u.Password)
		if got := agentName(t, c.Must(t, 200, "GET", agentURL(i, agent.ID), nil)); got != agent.Name {
			t.Errorf("%s: agent name = %q; want %q", i.Name, got, agent.Name)
		}
	}
}
