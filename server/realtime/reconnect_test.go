package realtime

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/wsclient"
	"github.com/echosenseix/echosenseix/server"
	"github.com/gobwas/ws"
)

// A client closed with 1012 by a shutting-down instance reconnects (with
// wsclient.Reconnect's backoff) to another instance and keeps receiving.
func TestClientReconnectsElsewhereAfterGoingAway(t *testing.T) {
	forEachMode(t, func(t *testing.T, newServer serverFunc) {
		bus := newFakeBus()
		a := newServer(t, Config{}, bus, nil)
		b := newServer(t, Config{}, bus, nil)
		var dials atomic.Int32
		cfg := wsclient.ReconnectConfig{
			Header:      http.Header{"X-Org": {"org1"}, "X-User": {"u1"}},
			Backoff:     wsclient.Backoff{Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond},
			MaxAttempts: 5,
			Dial: func(ctx context.Context, _ string, hdr http.Header) (*wsclient.Conn, error) {
				url := a.url // first instance A, then B
				if dials.Add(1) > 1 {
					url = b.url
				}
				return wsclient.Dial(ctx, url, hdr)
			},
		}
		var closes []ws.StatusCode
		session := func(ctx context.Context, c *wsclient.Conn) error {
			for {
				m, err := readWithin(c, 5*time.Second)
				if ce, ok := err.(*wsclient.CloseError); ok {
					closes = append(closes, ce.Code)
					return err
				}
				if err != nil {
					return err
				}
				switch {
				case m.Type == TypeConnected && dials.Load() == 1:
					go func() { _ = a.hub.Shutdown(context.Background()) }()
				case m.Type == TypeConnected:
					mustPublish(t, bus, "org1", server.EventCallCompleted, `{"on":"B"}`)
				case m.Type == server.EventCallCompleted:
					return wsclient.ErrStop
				}
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := wsclient.Reconnect(ctx, cfg, session); err != nil {
			t.Fatalf("Reconnect: %v", err)
		}
		if got := dials.Load(); got != 2 {
			t.Errorf("dials = %d; want 2", got)
		}
		if len(closes) != 1 || closes[0] != StatusServiceRestart {
			t.Errorf("close codes = %v; want [1012]", closes)
		}
	})
}
