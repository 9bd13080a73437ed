package realtime

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/wsclient"
	"github.com/echosenseix/echosenseix/server"
)

// TestNonReadingClientDroppedByBytes: a client that never reads (a 4 KiB
// receive buffer) is dropped with 1013 and reason backpressure once the
// kernel holds MaxUnsentBytes for it, long before SendQueue frames or
// WriteTimeout; what the server queued for it (all it can read after the
// drop) stays within the bound plus its receive buffer and one batch.
func TestNonReadingClientDroppedByBytes(t *testing.T) {
	forEachMode(t, func(t *testing.T, newServer serverFunc) {
		const bound = 32 << 10
		bus := newFakeBus()
		ts := newServer(t, Config{SendQueue: 4096, WriteTimeout: 30 * time.Second, PingInterval: time.Hour, MaxUnsentBytes: bound}, bus, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		slow, err := wsclient.DialWith(ctx, ts.url, http.Header{"X-Org": {"org1"}, "X-User": {"slow"}}, smallReceiveBuffer)
		if err != nil {
			t.Fatal(err)
		}
		defer slow.NetConn().Close()
		waitFor(t, 5*time.Second, "1 connection", func() bool { return ts.hub.Count() == 1 })
		pad := `{"pad":"` + strings.Repeat("x", 1000) + `"}`
		start := time.Now()
		published := 0
		for ; published < 3000 && dropped(ts.hub, ReasonBackpressure) == 0; published++ {
			mustPublish(t, bus, "org1", server.EventCallCompleted, pad)
			if published%16 == 15 {
				time.Sleep(time.Millisecond) // let the writer run
			}
		}
		waitFor(t, 5*time.Second, "the backpressure drop", func() bool { return dropped(ts.hub, ReasonBackpressure) == 1 })
		took := time.Since(start)
		for _, r := range []string{ReasonSlow, ReasonWrite} {
			if d := dropped(ts.hub, r); d != 0 {
				t.Errorf("drops for %s = %v; want 0 (the byte bound comes first)", r, d)
			}
		}
		// Everything the server queued is now readable, ending with 1013.
		nc := slow.NetConn()
		_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		b, _ := io.ReadAll(nc)
		if !strings.Contains(string(b[max(0, len(b)-64):]), "too slow") {
			t.Errorf("last bytes read: %q; want the 1013 close frame (too slow)", b[max(0, len(b)-64):])
		}
		// bound + the client's receive buffer (the kernel doubles 4 KiB and
		// loopback's window may round up) + one batch of frames in flight.
		if limit := bound + 64<<10 + batch*1100; len(b) > limit {
			t.Errorf("bytes queued for the non-reading client: %d; want <= %d", len(b), limit)
		}
		t.Logf("non-reading client dropped after %d events in %s, %d bytes queued for it (bound %d)", published, took, len(b), bound)
	})
}
