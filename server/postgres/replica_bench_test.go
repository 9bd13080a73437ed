package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/stack"
)

// BenchmarkAgentsRead lists an organization's agents from the primary and
// from the replica (same data, same machine, same run): the routing's
// cost over a direct primary read.
func BenchmarkAgentsRead(b *testing.B) {
	pair := stack.NewPostgresReplica(b)
	primary := MustOpen(b, Config{URL: pair.PrimaryURL}, true)
	routed := MustOpen(b, Config{URL: pair.PrimaryURL, ReplicaURLs: []string{pair.ReplicaURL}, ReplicaMaxLag: 5 * time.Second}, false)
	o, _ := mustOrgAgent(b, primary.Store())
	time.Sleep(500 * time.Millisecond) // replayed on the replica
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		db   *DB
	}{{"primary", primary}, {"replica", routed}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if list, err := bc.db.Store().Agents(ctx, o.ID); err != nil || len(list) != 1 {
					b.Fatalf("Agents = %d, %v", len(list), err)
				}
			}
		})
	}
	if st := routed.ReplicaStats(); st.ReplicaReads["replica-1"] == 0 {
		b.Fatalf("routed reads never reached the replica: %+v", st)
	}
}
