package groupcommit_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server/internal/groupcommit"
	"github.com/echosenseix/echosenseix/server/storetest"
)

// BenchmarkIngest compares group commit with one INSERT per request
// (Disabled) against real Postgres, 256 concurrent ingests, and a few
// batcher settings. Figures are rows/s; run it alone on a quiet machine:
//
//	go test -run '^$' -bench Ingest -benchtime 3s ./server/internal/groupcommit/
func BenchmarkIngest(b *testing.B) {
	const concurrency = 256
	cases := []struct {
		name string
		cfg  groupcommit.Config
	}{
		{"disabled", groupcommit.Config{Disabled: true}},
		{"group/default", groupcommit.Config{}},
		{"group/inflight=1", groupcommit.Config{MaxInFlight: 1}},
		{"group/inflight=4", groupcommit.Config{MaxInFlight: 4}},
		{"group/maxbatch=64", groupcommit.Config{MaxBatch: 64}},
		{"group/maxbatch=1024", groupcommit.Config{MaxBatch: 1024}},
		{"group/alwayswait", groupcommit.Config{AlwaysWait: true}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			f := newFixture(b, 64)
			bat := groupcommit.New(f.store, tc.cfg)
			defer bat.Close(context.Background())
			var seq atomic.Int64
			b.ReportAllocs()
			b.SetParallelism((concurrency + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					l := storetest.NewCallLog(f.agent, fmt.Sprintf("b-%d", seq.Add(1)), 60, 0.1, time.Time{})
					if _, err := bat.Ingest(ctx, l); err != nil {
						b.Errorf("Ingest = %v", err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "rows/s")
		})
	}
}
