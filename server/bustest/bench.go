package bustest

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
)

// BenchFanout measures events from pub to a subscriber on sub (two
// instances on one backend), as sub-benchmarks:
//   - roundtrip: publish one event and wait until the subscriber has it;
//   - publish/parallel: publishes from every P, the subscriber draining;
//     the time per event includes the wait for the last to arrive.
func BenchFanout(b *testing.B, pub, sub server.Bus) {
	o := org(b)
	var got atomic.Int64
	notify := make(chan struct{}, 1)
	r := newRecorder(o)
	cancel := sub.Subscribe(func(ev server.Event) {
		if ev.OrganizationID != o {
			return
		}
		if ev.Type == probeType {
			r.fn(ev)
			return
		}
		got.Add(1)
		select {
		case notify <- struct{}{}:
		default:
		}
	})
	defer cancel()
	waitReady(b, pub, o, r)
	ev := server.Event{Type: server.EventCallCompleted, OrganizationID: o,
		Data: json.RawMessage(`{"callId":"c-1","duration":42,"cost":0.1234}`)}
	// waitFor waits until the subscriber has had n events in all.
	waitFor := func(tb testing.TB, n int64) {
		deadline := time.After(waitLimit)
		for got.Load() < n {
			select {
			case <-notify:
			case <-deadline:
				tb.Fatalf("events delivered: got %d within %v; want %d", got.Load(), waitLimit, n)
			}
		}
	}
	b.Run("roundtrip", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			n := got.Load() + 1
			ev.Timestamp = time.Now()
			MustPublish(b, pub, ev)
			waitFor(b, n)
		}
	})
	b.Run("publish/parallel", func(b *testing.B) {
		b.ReportAllocs()
		want := got.Load() + int64(b.N)
		b.RunParallel(func(pb *testing.PB) {
			e := ev
			for pb.Next() {
				e.Timestamp = time.Now()
				if err := pub.Publish(context.Background(), e); err != nil {
					b.Error(err)
					return
				}
			}
		})
		waitFor(b, want)
	})
}
