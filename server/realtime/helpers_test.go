package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	hzserver "github.com/cloudwego/hertz/pkg/app/server"
	"github.com/cloudwego/hertz/pkg/common/hlog"
	"github.com/echosenseix/echosenseix/internal/wsclient"
	"github.com/echosenseix/echosenseix/server"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

func init() { hlog.SetSilentMode(true); hlog.SetLevel(hlog.LevelFatal) }

// fakeBus delivers every event synchronously to every subscriber: it
// stands for the shared (Redis) bus between instances.
type fakeBus struct {
	mu   sync.Mutex
	subs map[int]func(server.Event)
	n    int
}

var _ server.Bus = (*fakeBus)(nil)

func newFakeBus() *fakeBus { return &fakeBus{subs: make(map[int]func(server.Event))} }

func (b *fakeBus) Publish(_ context.Context, ev server.Event) error {
	b.mu.Lock()
	fns := slices.Collect(maps.Values(b.subs))
	b.mu.Unlock()
	for _, fn := range fns {
		fn(ev)
	}
	return nil
}

func (b *fakeBus) Subscribe(fn func(server.Event)) func() {
	b.mu.Lock()
	defer b.mu.Unlock()
	id := b.n
	b.n++
	b.subs[id] = fn
	return func() { b.mu.Lock(); delete(b.subs, id); b.mu.Unlock() }
}

// testServer is a hertz app mounting hub.ServeWS on /ws/realtime-sync with
// a fake authentication taking the identity from X-Org and X-User.
type testServer struct {
	hub  *Hub
	url  string
	http string
}

// serverFunc starts a hub behind one of the two front doors.
type serverFunc func(tb testing.TB, cfg Config, bus server.Bus, sync Syncer) *testServer

// modes are the hertz hijack path and the dedicated netpoll listener.
var modes = []struct {
	name string
	new  serverFunc
}{{"hijack", newTestServer}, {"listener", newListenerServer}}

// forEachMode runs fn against both front doors.
func forEachMode(t *testing.T, fn func(t *testing.T, newServer serverFunc)) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) { fn(t, m.new) })
	}
}

// headerAuth is the fake authentication: X-Org and X-User.
func headerAuth(_ context.Context, r *http.Request) (string, string, string, error) {
	if r.Header.Get("X-Org") == "" {
		return "", "", "", errors.New("no identity")
	}
	return r.Header.Get("X-Org"), r.Header.Get("X-User"), r.Header.Get("X-Session"), nil
}

// newListenerServer serves the hub on a dedicated listener (Hub.Serve).
func newListenerServer(tb testing.TB, cfg Config, bus server.Bus, sync Syncer) *testServer {
	tb.Helper()
	hub := NewHub(cfg, bus, sync, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("cannot listen: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- hub.Serve(ln, headerAuth) }()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := hub.Shutdown(ctx); err != nil {
			tb.Errorf("hub.Shutdown: %v", err)
		}
		select {
		case err := <-served:
			if err != nil {
				tb.Errorf("hub.Serve: %v", err)
			}
		case <-ctx.Done():
			tb.Errorf("hub.Serve did not return after Shutdown")
		}
	})
	addr := ln.Addr().String()
	return &testServer{hub: hub, url: "ws://" + addr + "/ws/realtime-sync", http: "http://" + addr + "/ws/realtime-sync"}
}

func newTestServer(tb testing.TB, cfg Config, bus server.Bus, sync Syncer) *testServer {
	tb.Helper()
	hub := NewHub(cfg, bus, sync, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("cannot listen: %v", err)
	}
	h := hzserver.New(hzserver.WithListener(ln), hzserver.WithDisablePrintRoute(true),
		hzserver.WithExitWaitTime(time.Second))
	h.Any("/ws/realtime-sync", func(ctx context.Context, c *app.RequestContext) {
		org, user := string(c.GetHeader("X-Org")), string(c.GetHeader("X-User"))
		if org == "" {
			c.AbortWithStatus(http.StatusUnauthorized)
			return
		}
		hub.ServeWS(ctx, c, org, user, string(c.GetHeader("X-Session")))
	})
	go func() { _ = h.Run() }()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := hub.Shutdown(ctx); err != nil {
			tb.Errorf("hub.Shutdown: %v", err)
		}
		_ = h.Shutdown(ctx)
	})
	addr := ln.Addr().String()
	return &testServer{hub: hub, url: "ws://" + addr + "/ws/realtime-sync", http: "http://" + addr + "/ws/realtime-sync"}
}

// msg is any server message.
type msg struct {
	Type           string          `json:"type"`
	OrganizationID string          `json:"organizationId"`
	Data           json.RawMessage `json:"data"`
	Timestamp      time.Time       `json:"timestamp"`
}

func mustDial(tb testing.TB, url, org, user string) *wsclient.Conn {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := wsclient.Dial(ctx, url, http.Header{"X-Org": {org}, "X-User": {user}})
	if err != nil {
		tb.Fatalf("cannot dial %s: %v", url, err)
	}
	tb.Cleanup(func() { _ = c.NetConn().Close() })
	return c
}

// mustConnect dials and reads the connected message.
func mustConnect(tb testing.TB, url, org, user string) *wsclient.Conn {
	tb.Helper()
	c := mustDial(tb, url, org, user)
	if m := mustRead(tb, c); m.Type != TypeConnected {
		tb.Fatalf("first message type = %q; want %q", m.Type, TypeConnected)
	}
	return c
}

func readWithin(c *wsclient.Conn, d time.Duration) (msg, error) {
	var m msg
	_ = c.SetReadDeadline(time.Now().Add(d))
	err := c.ReadJSON(&m)
	return m, err
}

func mustRead(tb testing.TB, c *wsclient.Conn) msg {
	tb.Helper()
	m, err := readWithin(c, 5*time.Second)
	if err != nil {
		tb.Fatalf("cannot read message: %v", err)
	}
	return m
}

func mustPublish(tb testing.TB, bus server.Bus, org, typ string, data string) {
	tb.Helper()
	ev := server.Event{Type: typ, OrganizationID: org, Data: json.RawMessage(data), Timestamp: time.Now()}
	if err := bus.Publish(context.Background(), ev); err != nil {
		tb.Fatalf("cannot publish: %v", err)
	}
}

// waitFor polls cond until it holds or d passes.
func waitFor(tb testing.TB, d time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func fanoutCount(h *Hub) uint64 {
	var m dto.Metric
	if err := h.metrics.fanout.(prometheus.Metric).Write(&m); err != nil {
		panic(err)
	}
	return m.GetHistogram().GetSampleCount()
}

func dropped(h *Hub, reason string) float64 {
	return testutil.ToFloat64(h.metrics.dropped.WithLabelValues(reason))
}
