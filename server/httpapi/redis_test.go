package httpapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/server/redis"
)

// redisConfig is the Config of the shared Redis with tb's own key prefix,
// whose keys are deleted when tb ends.
func redisConfig(tb testing.TB) redis.Config {
	tb.Helper()
	r := stack.NewRedis(tb)
	cfg := redis.Config{Addr: r.Addr, Password: r.Password, DB: r.DB, Prefix: r.Prefix}
	tb.Cleanup(func() { deleteRedisPrefix(tb, cfg) })
	return cfg
}

func deleteRedisPrefix(tb testing.TB, cfg redis.Config) {
	rc, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{cfg.Addr}, Password: cfg.Password,
		SelectDB: cfg.DB, DisableCache: true, ForceSingleClient: true})
	if err != nil {
		tb.Logf("cannot clean prefix %s: %v", cfg.Prefix, err)
		return
	}
	defer rc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var cursor uint64
	for range 10_000 {
		e, err := rc.Do(ctx, rc.B().Scan().Cursor(cursor).Match(cfg.Prefix+"*").Count(1000).Build()).AsScanEntry()
		if err != nil {
			tb.Logf("cannot scan prefix %s: %v", cfg.Prefix, err)
			return
		}
		if len(e.Elements) > 0 {
			rc.Do(ctx, rc.B().Del().Key(e.Elements...).Build())
		}
		if cursor = e.Cursor; cursor == 0 {
			return
		}
	}
}
