package stack

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/rueidis"
)

// DeletePrefix deletes every key of r's prefix (SCAN and DEL, bounded to
// 10,000 pages and 10 s per server); on a cluster, on every master.
func (r Redis) DeletePrefix() error {
	if r.Prefix == "" {
		return fmt.Errorf("cannot delete keys: no prefix")
	}
	if len(r.Cluster) == 0 {
		return r.deletePrefix(r.Addr)
	}
	nodes, err := clusterNodes(r.Cluster[0])
	if err != nil {
		return fmt.Errorf("cannot clean prefix %s: %w", r.Prefix, err)
	}
	for _, n := range nodes {
		if n.master && !n.failed {
			if err := r.deletePrefix(n.addr); err != nil {
				return err
			}
		}
	}
	return nil
}

// deletePrefix deletes the prefix's keys on the server at addr, one DEL
// per key (a cluster node refuses a DEL across slots).
func (r Redis) deletePrefix(addr string) error {
	rc, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, Password: r.Password,
		SelectDB: r.DB, DisableCache: true, ForceSingleClient: true})
	if err != nil {
		return fmt.Errorf("cannot clean prefix %s: %w", r.Prefix, err)
	}
	defer rc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var cursor uint64
	for range 10_000 {
		e, err := rc.Do(ctx, rc.B().Scan().Cursor(cursor).Match(r.Prefix+"*").Count(1000).Build()).AsScanEntry()
		if err != nil {
			return fmt.Errorf("cannot scan prefix %s: %w", r.Prefix, err)
		}
		dels := make(rueidis.Commands, len(e.Elements))
		for i, k := range e.Elements {
			dels[i] = rc.B().Del().Key(k).Build()
		}
		for _, res := range rc.DoMulti(ctx, dels...) {
			if err := res.Error(); err != nil {
				return fmt.Errorf("cannot delete keys of prefix %s: %w", r.Prefix, err)
			}
		}
		if cursor = e.Cursor; cursor == 0 {
			return nil
		}
	}
	return fmt.Errorf("cannot clean prefix %s: more than 10,000 scan pages", r.Prefix)
}
