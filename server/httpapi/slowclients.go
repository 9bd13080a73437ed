package httpapi

import (
	"context"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/prometheus/client_golang/prometheus"
)

// Slow and excess clients.
//
// hertz's ReadTimeout bounds each wait for bytes, not the request: a
// client sending one header byte every two seconds holds its connection
// (and its buffers) forever. The header deadline bounds the whole head
// instead: from a connection's accept (first request) or the first bytes of
// its next request until the route runs. It costs the fast path two atomic
// stores and a coarse clock read per request; a sweeper closes the
// connections past it (every HeaderTimeout/10, at most every second).
//
// MaxConnections bounds the open connections of the process, WebSockets on
// PORT included: past it a new connection's first request is answered 503
// with Retry-After and the code too_many_connections, then closed, before
// descriptors and memory run out (accept failing with EMFILE would leave
// clients hanging in the backlog with no answer).

// connLimits counts the connections refused or cut, by reason.
type connLimits struct {
	refused      *prometheus.CounterVec // http_connections_refused_total{reason}
	maxConns     prometheus.Counter
	headerCut    prometheus.Counter
	overloadShed prometheus.Counter
}

// Reasons of http_connections_refused_total.
const (
	refusedMaxConnections = "max_connections"
	refusedHeaderTimeout  = "header_timeout"
	refusedOverload       = "overload"
)

func newConnLimits() *connLimits {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "http_connections_refused_total",
		Help: "Requests or connections refused by the server's own limits: max_connections (503 past MAX_CONNECTIONS), header_timeout (connection closed past HTTP_HEADER_TIMEOUT), overload (503 from the adaptive concurrency limit).",
	}, []string{"reason"})
	return &connLimits{
		refused:      v,
		maxConns:     v.WithLabelValues(refusedMaxConnections),
		headerCut:    v.WithLabelValues(refusedHeaderTimeout),
		overloadShed: v.WithLabelValues(refusedOverload),
	}
}

// openConnections is a gauge of the connections open now.
func (t *connTracker) openConnections() prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "http_connections_open",
		Help: "Connections open on the public port now (WebSockets on it included), bounded by MAX_CONNECTIONS.",
	}, func() float64 {
		t.mu.Lock()
		defer t.mu.Unlock()
		return float64(len(t.conns))
	})
}

// headRead marks the request's head as read (the route runs) and answers
// whether the connection was opened past MaxConnections.
func headRead(ctx context.Context) (refused bool) {
	st, ok := ctx.Value(connStateKey{}).(*connState)
	if !ok {
		return false
	}
	st.headAt.Store(0)
	return st.refused
}

// refuseConnection answers a connection opened past MaxConnections.
func (s *Server) refuseConnection(c *app.RequestContext) {
	s.limits.maxConns.Inc()
	c.Response.Header.Set("Retry-After", "1")
	c.Response.Header.SetConnectionClose(true)
	writeErrorBody(c, 503, "too_many_connections", "server has too many open connections; retry later or elsewhere")
}

// sweepHeaders closes the connections whose request head has been read for
// longer than timeout, until stop.
func (t *connTracker) sweepHeaders(timeout time.Duration, stop <-chan struct{}) {
	every := min(max(timeout/10, 50*time.Millisecond), time.Second)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		t.cutSlowHeads(time.Now().UnixNano() - int64(timeout))
	}
}

// cutSlowHeads closes every connection whose head started before limit
// (unix ns) and is not read yet.
func (t *connTracker) cutSlowHeads(limit int64) int {
	var slow []*connState
	t.mu.Lock()
	for st := range t.conns {
		if at := st.headAt.Load(); at != 0 && at < limit {
			slow = append(slow, st)
			delete(t.conns, st)
		}
	}
	t.mu.Unlock()
	for _, st := range slow {
		_ = st.conn.Close()
		t.limits.headerCut.Inc()
	}
	return len(slow)
}

// runSweeper starts the header sweeper once; Shutdown stops it.
func (s *Server) runSweeper() {
	if s.cfg.HeaderTimeout <= 0 || !s.sweeping.CompareAndSwap(false, true) {
		return
	}
	go s.conns.sweepHeaders(s.cfg.HeaderTimeout, s.sweepStop)
}
