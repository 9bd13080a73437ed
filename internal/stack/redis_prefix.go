package stack

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/rueidis"
)

// DeletePrefix deletes every key of r's prefix (SCAN and DEL, bounded to
// 10,000 pages and 10 s).
func (r Redis) DeletePrefix() error {
	if r.Prefix == "" {
		return fmt.Errorf("cannot delete keys: no prefix")
	}
	rc, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{r.Addr}, Password: r.Password,
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
		if len(e.Elements) > 0 {
			if err := rc.Do(ctx, rc.B().Del().Key(e.Elements...).Build()).Error(); err != nil {
				return fmt.Errorf("cannot delete keys of prefix %s: %w", r.Prefix, err)
			}
		}
		if cursor = e.Cursor; cursor == 0 {
			return nil
		}
	}
	return fmt.Errorf("cannot clean prefix %s: more than 10,000 scan pages", r.Prefix)
}
