package realtime

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/wsclient"
	"github.com/echosenseix/echosenseix/server"
)

// parallel runs fn(i) for i in [0,n) on workers goroutines.
func parallel(n, workers int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

func TestFanout5000ClientsTwoOrganizations(t *testing.T) {
	forEachMode(t, func(t *testing.T, newServer serverFunc) {
		const n = 5000
		bus := newFakeBus()
		ts := newServer(t, Config{PingInterval: time.Hour}, bus, nil)
		clients := make([]*wsclient.Conn, n)
		errs := make(chan error, n)
		parallel(n, 16, func(i int) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			org := []string{"orgA", "orgB"}[i%2]
			c, err := wsclient.Dial(ctx, ts.url, http.Header{"X-Org": {org}, "X-User": {fmt.Sprint(i)}})
			if err != nil {
				errs <- err
				return
			}
			clients[i] = c
			if m, err := readWithin(c, 20*time.Second); err != nil || m.Type != TypeConnected {
				errs <- fmt.Errorf("client %d first message %q, %v; want connected", i, m.Type, err)
			}
		})
		t.Cleanup(func() {
			for _, c := range clients {
				if c != nil {
					_ = c.NetConn().Close()
				}
			}
		})
		close(errs)
		for err := range errs {
			t.Fatalf("connect: %v", err)
		}
		waitFor(t, 20*time.Second, "5000 connections", func() bool { return ts.hub.Count() == n })

		start := time.Now()
		mustPublish(t, bus, "orgA", server.EventCallCompleted, `{"for":"orgA"}`)
		mustPublish(t, bus, "orgB", server.EventCallCompleted, `{"for":"orgB"}`)
		mustPublish(t, bus, "orgA", server.EventSyncCompleted, `{"for":"orgA","last":true}`)
		mustPublish(t, bus, "orgB", server.EventSyncCompleted, `{"for":"orgB","last":true}`)
		errs = make(chan error, n)
		parallel(n, 16, func(i int) {
			org := []string{"orgA", "orgB"}[i%2]
			want := []string{server.EventCallCompleted, server.EventSyncCompleted}
			for _, typ := range want {
				m, err := readWithin(clients[i], 30*time.Second)
				if err != nil || m.Type != typ || m.OrganizationID != org || !strings.Contains(string(m.Data), `"for":"`+org+`"`) {
					errs <- fmt.Errorf("client %d of %s got %s for %s (%s), %v; want %s for %s", i, org, m.Type, m.OrganizationID, m.Data, err, typ, org)
					return
				}
			}
		})
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		t.Logf("2 events to each of %d clients in 2 organizations: all received in %v", n, time.Since(start))
		if got := dropped(ts.hub, ReasonSlow) + dropped(ts.hub, ReasonWrite) + dropped(ts.hub, ReasonBackpressure); got != 0 {
			t.Errorf("drops = %v; want 0", got)
		}
	})
}

// smallReceiveBuffer dials with a 4 KiB receive buffer, so a client that
// stops reading backs the server up quickly.
func smallReceiveBuffer(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	return d.DialContext(ctx, network, addr)
}

func TestSlowClientIsDroppedWithoutDelayingOthers(t *testing.T) {
	forEachMode(t, func(t *testing.T, newServer serverFunc) {
		const fast, burst = 8, 8
		bus := newFakeBus()
		ts := newServer(t, Config{SendQueue: 16, WriteTimeout: 2 * time.Second, PingInterval: time.Hour}, bus, nil)

		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		slow, err := wsclient.DialWith(ctx, ts.url, http.Header{"X-Org": {"org1"}, "X-User": {"slow"}}, smallReceiveBuffer)
		if err != nil {
			t.Fatal(err)
		}
		defer slow.NetConn().Close() // it never reads

		var got [fast]atomic.Int64
		for i := range fast {
			c := mustConnect(t, ts.url, "org1", fmt.Sprint("fast", i))
			go func() { // ends when the test's cleanup closes c
				for {
					if _, err := readWithin(c, 30*time.Second); err != nil {
						return
					}
					got[i].Add(1)
				}
			}()
		}
		waitFor(t, 5*time.Second, "9 connections", func() bool { return ts.hub.Count() == fast+1 })

		pad := `{"pad":"` + strings.Repeat("x", 4000) + `"}`
		published, worst := int64(0), time.Duration(0)
		for b := 0; b < 400 && dropped(ts.hub, ReasonSlow)+dropped(ts.hub, ReasonWrite)+dropped(ts.hub, ReasonBackpressure) == 0; b++ {
			start := time.Now()
			for range burst {
				mustPublish(t, bus, "org1", server.EventCallCompleted, pad)
				published++
			}
			waitFor(t, 5*time.Second, "fast clients to get the burst", func() bool {
				for i := range got {
					if got[i].Load() < published {
						return false
					}
				}
				return true
			})
			worst = max(worst, time.Since(start))
		}
		if d := dropped(ts.hub, ReasonSlow) + dropped(ts.hub, ReasonWrite) + dropped(ts.hub, ReasonBackpressure); d != 1 {
			t.Fatalf("slow client drops = %v after %d events; want 1", d, published)
		}
		waitFor(t, 5*time.Second, "the slow connection to leave", func() bool { return ts.hub.Count() == fast })
		// The fast ones keep receiving, promptly, after the drop.
		start := time.Now()
		mustPublish(t, bus, "org1", server.EventCallCompleted, `{"after":"drop"}`)
		published++
		waitFor(t, 5*time.Second, "fast clients to get the event after the drop", func() bool {
			for i := range got {
				if got[i].Load() < published {
					return false
				}
			}
			return true
		})
		t.Logf("slow client dropped after %d events (slow=%v write=%v backpressure=%v); worst burst to %d fast clients %v; after drop %v",
			published-1, dropped(ts.hub, ReasonSlow), dropped(ts.hub, ReasonWrite), dropped(ts.hub, ReasonBackpressure), fast, worst, time.Since(start))
	})
}
