package singleflight

import (
	"context"
	"testing"

	xsingleflight "golang.org/x/sync/singleflight"
)

// BenchmarkFlight compares this Group with golang.org/x/sync/singleflight
// on the two paths the server uses: Do, and DoContext (x/sync: DoChan and a
// select on the caller's context), every goroutine on one key.
func BenchmarkFlight(b *testing.B) {
	fn := func() ([]byte, error) { return []byte("v"), nil }
	xfn := func() (any, error) { return []byte("v"), nil }
	ctx := context.Background()
	b.Run("Do/ours", func(b *testing.B) {
		var g Group[[]byte]
		parallel(b, func() { g.Do("k", fn) })
	})
	b.Run("Do/library", func(b *testing.B) {
		var g xsingleflight.Group
		parallel(b, func() { v, _, _ := g.Do("k", xfn); _ = v.([]byte) })
	})
	b.Run("DoContext/ours", func(b *testing.B) {
		var g Group[[]byte]
		parallel(b, func() { g.DoContext(ctx, "k", fn) })
	})
	b.Run("DoContext/library", func(b *testing.B) {
		var g xsingleflight.Group
		parallel(b, func() {
			select {
			case r := <-g.DoChan("k", xfn):
				_ = r.Val.([]byte)
			case <-ctx.Done():
			}
		})
	})
}

func parallel(b *testing.B, f func()) {
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			f()
		}
	})
}
