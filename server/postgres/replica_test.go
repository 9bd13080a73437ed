package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/server"
)

// openPair opens the primary with its replica routed (db) and a second
// handle on the primary alone (other: another instance's writes, which db
// has no read-your-writes window for).
func openPair(t *testing.T, maxLag time.Duration) (pair *stack.PostgresReplica, db, other *DB) {
	t.Helper()
	pair = stack.NewPostgresReplica(t)
	other = MustOpen(t, Config{URL: pair.PrimaryURL}, true)
	db = MustOpen(t, Config{URL: pair.PrimaryURL, ReplicaURLs: []string{pair.ReplicaURL}, ReplicaMaxLag: maxLag,
		ReplicaCheckEvery: 100 * time.Millisecond}, false)
	waitHealthy(t, db, true)
	// The migrations ran on the primary: wait until the replica has them.
	deadline := time.Now().Add(15 * time.Second)
	for {
		var ok bool
		_ = db.replicas[0].pool.QueryRow(context.Background(), "SELECT to_regclass('agents') IS NOT NULL").Scan(&ok)
		if ok {
			return pair, db, other
		}
		if time.Now().After(deadline) {
			t.Fatal("the migrations did not reach the replica within 15s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitHealthy(t *testing.T, db *DB, want bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for db.ReplicaStats().Healthy["replica-1"] != want {
		if time.Now().After(deadline) {
			t.Fatalf("replica-1 healthy != %v after 15s: %+v", want, db.ReplicaStats())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func mustOrgAgent(t testing.TB, s *Store) (*server.Organization, *server.Agent) {
	t.Helper()
	ctx := context.Background()
	o := &server.Organization{Name: "o", WebhookSecret: "s"}
	if err := s.CreateOrganization(ctx, o); err != nil {
		t.Fatal(err)
	}
	a := &server.Agent{OrganizationID: o.ID, Name: "a", Platform: "elevenlabs", ExternalAgentID: "ext-" + o.ID, IsActive: true}
	if err := s.CreateAgent(ctx, a); err != nil {
		t.Fatal(err)
	}
	return o, a
}

// countAgents lists org's agents on db and reports which pool answered.
func countAgents(t *testing.T, db *DB, org string) (n int, onReplica bool) {
	t.Helper()
	before := db.ReplicaStats().ReplicaReads["replica-1"]
	list, err := db.Store().Agents(context.Background(), org)
	if err != nil {
		t.Fatalf("Agents = %v", err)
	}
	return len(list), db.ReplicaStats().ReplicaReads["replica-1"] > before
}

// TestReplicaRouting: lists go to the healthy replica; a write on this
// instance sends its organization's reads to the primary for the window
// (read-your-writes) while the replica applies commits 2 s late
// (recovery_min_apply_delay); past the window reads return to the replica,
// which has the row by then.
func TestReplicaRouting(t *testing.T) {
	pair, db, other := openPair(t, 5*time.Second)
	o, _ := mustOrgAgent(t, other.Store())
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, onReplica := countAgents(t, db, o.ID)
		if !onReplica {
			t.Fatalf("list of an organization not written here read the primary; want the replica (%+v)", db.ReplicaStats())
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the agent did not reach the replica within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := pair.SetApplyDelay(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	a := &server.Agent{OrganizationID: o.ID, Name: "b", Platform: "elevenlabs", IsActive: true}
	if err := db.Store().CreateAgent(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	wrote := time.Now()
	if n, onReplica := countAgents(t, db, o.ID); n != 2 || onReplica {
		t.Fatalf("right after its write, this instance lists %d agents (replica: %v); want 2 from the primary", n, onReplica)
	}
	// The replica itself does not have the row yet: the rule matters.
	var onStandby int
	if err := db.replicas[0].pool.QueryRow(context.Background(), "SELECT count(*) FROM agents WHERE organization_id = $1", o.ID).Scan(&onStandby); err != nil {
		t.Fatal(err)
	}
	if onStandby != 1 && time.Since(wrote) < 2*time.Second {
		t.Fatalf("replica has %d agents %v after the write; want 1 (apply delay 2s)", onStandby, time.Since(wrote))
	}
	window := time.Duration(db.window)
	time.Sleep(time.Until(wrote.Add(window + 100*time.Millisecond)))
	waitHealthy(t, db, true)
	if n, onReplica := countAgents(t, db, o.ID); n != 2 || !onReplica {
		t.Fatalf("past the %v window, this instance lists %d agents (replica: %v); want 2 from the replica", window, n, onReplica)
	}
	// A lookup the replica cannot answer yet asks the primary.
	b := &server.Agent{OrganizationID: o.ID, Name: "c", Platform: "elevenlabs", ExternalAgentID: "late-" + o.ID, IsActive: true}
	if err := other.Store().CreateAgent(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Store().Agent(context.Background(), o.ID, b.ID); err != nil || got.ID != b.ID {
		t.Fatalf("Agent(new on another instance) = %v, %v; want it (from the primary)", got, err)
	}
	if db.ReplicaStats().NotFoundRetries == 0 {
		t.Errorf("the lookup was not retried on the primary: %+v", db.ReplicaStats())
	}
}

// TestReplicaLagBound: a replica whose lag passes ReplicaMaxLag is skipped
// (reads go to the primary and see the newest rows) and used again once it
// has caught up.
func TestReplicaLagBound(t *testing.T) {
	pair, db, other := openPair(t, 500*time.Millisecond)
	if err := pair.SetApplyDelay(3 * time.Second); err != nil {
		t.Fatal(err)
	}
	o, _ := mustOrgAgent(t, other.Store())
	waitHealthy(t, db, false)
	if n, onReplica := countAgents(t, db, o.ID); n != 1 || onReplica {
		t.Fatalf("with the replica past its lag bound, lists %d agents (replica: %v); want 1 from the primary", n, onReplica)
	}
	if db.ReplicaStats().NoReplica == 0 {
		t.Errorf("no read counted as finding no healthy replica: %+v", db.ReplicaStats())
	}
	if err := pair.SetApplyDelay(0); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, db, true)
	if n, onReplica := countAgents(t, db, o.ID); n != 1 || !onReplica {
		t.Fatalf("caught up, lists %d agents (replica: %v); want 1 from the replica", n, onReplica)
	}
}

// TestReplicaDies: reads keep answering when the replica is killed; the
// first that meets the dead replica runs on the primary.
func TestReplicaDies(t *testing.T) {
	pair, db, other := openPair(t, 5*time.Second)
	o, _ := mustOrgAgent(t, other.Store())
	pair.StopReplica()
	for i := range 20 {
		list, err := db.Store().Agents(context.Background(), o.ID)
		if err != nil || len(list) != 1 {
			t.Fatalf("read %d after the replica died = %d agents, %v; want 1, nil", i, len(list), err)
		}
	}
	st := db.ReplicaStats()
	if st.Healthy["replica-1"] || st.Failovers+st.NoReplica == 0 {
		t.Fatalf("after the replica died: %+v; want it unhealthy and the reads on the primary", st)
	}
}
