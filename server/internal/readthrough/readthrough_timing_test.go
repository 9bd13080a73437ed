package readthrough

import (
	"context"
	"testing"
	"time"
)

// BenchmarkReadthroughHit measures the hit path over the fake map cache
// (the cost of the helper itself; see inmem for a real cache). Allowed: 0
// allocations.
func BenchmarkReadthroughHit(b *testing.B) {
	c := newMapCache()
	g := New(c)
	ctx := context.Background()
	load := func(context.Context) ([]byte, error) { return []byte("value"), nil }
	if _, err := g.Get(ctx, "k", time.Minute, load); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Get(ctx, "k", time.Minute, load); err != nil {
			b.Fatal(err)
		}
	}
}

func TestReadthroughHitAllocs(t *testing.T) {
	g := New(newMapCache())
	ctx := context.Background()
	load := func(context.Context) ([]byte, error) { return []byte("value"), nil }
	if _, err := g.Get(ctx, "k", time.Minute, load); err != nil {
		t.Fatal(err)
	}
	if got := testing.AllocsPerRun(100, func() { _, _ = g.Get(ctx, "k", time.Minute, load) }); got != 0 {
		t.Fatalf("got %v allocs per hit; want 0", got)
	}
}
