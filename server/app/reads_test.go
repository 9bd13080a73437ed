package app_test

import (
	"encoding/json"
	"testing"

	"github.com/echosenseix/echosenseix/server"
)

// TestAgentHitAllocs: a cached agent read answers the stored bytes as they
// are (not copied, not re-encoded), allocating only the key string and the
// loader closure, as the HTTP handler did before the use cases moved here.
func TestAgentHitAllocs(t *testing.T) {
	e := newEnv(t)
	ctx := tctx(t)
	first, err := e.svc.Agent(ctx, e.org.ID, e.agent.ID)
	if err != nil {
		t.Fatalf("Agent = %v; want nil", err)
	}
	var a server.Agent
	if err := json.Unmarshal(first, &a); err != nil || a.ID != e.agent.ID {
		t.Fatalf("Agent answered %s (%v); want the agent's JSON", first, err)
	}
	first, _ = e.svc.Agent(ctx, e.org.ID, e.agent.ID) // now from the cache
	allocs := testing.AllocsPerRun(200, func() {
		b, err := e.svc.Agent(ctx, e.org.ID, e.agent.ID)
		if err != nil || &b[0] != &first[0] {
			t.Fatalf("Agent (hit) = %p, %v; want the cached bytes %p", b, err, first)
		}
	})
	if allocs > 2 {
		t.Errorf("Agent (hit) allocates %.1f times; want at most 2 (the key and the loader)", allocs)
	}
}
