package httpapi_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// gathered sums the series of family name on reg whose labels include
// every pair of want (name, value, name, value ...).
func gathered(tb testing.TB, reg *prometheus.Registry, name string, want ...string) float64 {
	tb.Helper()
	fams, err := reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	sum := 0.0
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			for i := 0; i+1 < len(want); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					found = found || (lp.GetName() == want[i] && lp.GetValue() == want[i+1])
				}
				if !found {
					continue series
				}
			}
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

// TestSlowlorisCutAtHeaderDeadline: 200 connections sending their request
// head one byte at a time (every 300 ms, so HTTP_READ_TIMEOUT's wait for
// bytes never passes) are all closed within the header deadline plus one
// sweep, while a normal client keeps being served quickly.
func TestSlowlorisCutAtHeaderDeadline(t *testing.T) {
	const (
		deadline = time.Second
		n        = 200
	)
	e, base := serveEnv(t, backends[0], func(c *httpapiConfig, _ *httpapiDeps) { c.HeaderTimeout = deadline })
	addr := strings.TrimPrefix(base, "http://")
	head := "GET /health/live HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("a", 64) + "\r\n\r\n"
	start := time.Now()
	cut := make([]time.Duration, n)
	var wg sync.WaitGroup
	for i := range n {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		wg.Add(2)
		go func() { // dribble the head, one byte every 300 ms, until the server closes
			defer wg.Done()
			for j := 0; j < len(head); j++ {
				if _, err := conn.Write([]byte{head[j]}); err != nil {
					return
				}
				time.Sleep(300 * time.Millisecond)
				if time.Since(start) > 4*deadline {
					return
				}
			}
		}()
		go func() { // see when the server closes it
			defer wg.Done()
			defer conn.Close()
			_ = conn.SetReadDeadline(start.Add(4 * deadline))
			b := make([]byte, 512)
			_, err := conn.Read(b)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				cut[i] = -1
				return
			}
			cut[i] = time.Since(start)
		}()
	}
	// A normal client is served throughout.
	client := &http.Client{Timeout: 2 * time.Second}
	var slowest time.Duration
	for time.Since(start) < deadline+500*time.Millisecond {
		s := time.Now()
		resp, err := client.Get(base + "/health/live")
		if err != nil {
			t.Fatalf("normal client during the slowloris: %v", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("normal client during the slowloris: status %d", resp.StatusCode)
		}
		slowest = max(slowest, time.Since(s))
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	var latest time.Duration
	for i, d := range cut {
		if d < 0 {
			t.Fatalf("slow connection %d still open %s after it started; want closed past the %s header deadline", i, 4*deadline, deadline)
		}
		latest = max(latest, d)
	}
	// Cut after the deadline (never early) and within one sweep
	// (deadline/10) plus scheduling slack.
	if latest > deadline+600*time.Millisecond {
		t.Errorf("last slow connection closed %s after the start; want within %s + one sweep", latest, deadline)
	}
	for i, d := range cut {
		if d < deadline-50*time.Millisecond { // the coarse clock lags, never leads
			t.Errorf("slow connection %d closed after %s; want not before the %s deadline", i, d, deadline)
			break
		}
	}
	if got := gathered(t, e.reg, "http_connections_refused_total", "reason", "header_timeout"); got != n {
		t.Errorf(`http_connections_refused_total{reason="header_timeout"} = %v; want %d`, got, n)
	}
	if slowest > 500*time.Millisecond {
		t.Errorf("normal client's slowest request during the slowloris: %s; want < 500ms", slowest)
	}
	t.Logf("%d slowloris connections cut by %s (deadline %s); normal client's slowest request %s", n, latest, deadline, slowest)
}

// TestMaxConnectionsRefusesClearly: past MaxConnections a new connection
// gets 503 with Retry-After, code too_many_connections and Connection:
// close; once a connection closes, new ones are served again.
func TestMaxConnectionsRefusesClearly(t *testing.T) {
	const limit = 5
	e, base := serveEnv(t, backends[0], func(c *httpapiConfig, _ *httpapiDeps) { c.MaxConnections = limit })
	addr := strings.TrimPrefix(base, "http://")
	// serveEnv's readiness probe may still hold a keep-alive connection.
	http.DefaultClient.CloseIdleConnections()
	eventually(t, "probe connection closed", func() bool { return gathered(t, e.reg, "http_connections_open") == 0 })
	var held []net.Conn
	for range limit {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	eventually(t, "held connections open", func() bool { return gathered(t, e.reg, "http_connections_open") == limit })
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{}}
	resp, err := client.Get(base + "/api/agents")
	if err != nil {
		t.Fatalf("request past MaxConnections: %v; want a 503 answer", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || !resp.Close ||
		!strings.Contains(string(body), `"code":"too_many_connections"`) {
		t.Errorf("past MaxConnections: %d Retry-After=%q close=%v %s; want 503, Retry-After, Connection: close, code too_many_connections",
			resp.StatusCode, resp.Header.Get("Retry-After"), resp.Close, body)
	}
	if got := gathered(t, e.reg, "http_connections_refused_total", "reason", "max_connections"); got != 1 {
		t.Errorf(`http_connections_refused_total{reason="max_connections"} = %v; want 1`, got)
	}
	held[0].Close()
	held = held[1:]
	eventually(t, "a slot freed", func() bool { return gathered(t, e.reg, "http_connections_open") < limit })
	resp, err = client.Get(base + "/health/live")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("request after a connection closed: %v %v; want 200", resp, err)
	}
	resp.Body.Close()
}
