package realtime

import "github.com/prometheus/client_golang/prometheus"

// Drop reasons, the values of ws_dropped_total's reason label.
const (
	ReasonSlow     = "slow"     // lagged more than SendQueue frames (1013)
	ReasonTimeout  = "timeout"  // silent past PingInterval+PongTimeout
	ReasonWrite    = "write"    // a write failed or hit its deadline
	ReasonProtocol = "protocol" // bad frame, too big, unmasked (1002/1009)
	ReasonShutdown = "shutdown" // closed by Shutdown (1012)
	ReasonLogout   = "logout"   // its session or user logged out (1008)
)

type metrics struct {
	open    prometheus.Gauge
	in      prometheus.Counter
	out     prometheus.Counter
	dropped *prometheus.CounterVec
	fanout  prometheus.Histogram
}

func newMetrics() *metrics {
	m := &metrics{
		open: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ws_connections_open", Help: "Open WebSocket connections on this process.",
		}),
		in: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ws_messages_in_total", Help: "WebSocket messages received from clients.",
		}),
		out: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ws_messages_out_total", Help: "WebSocket messages written to clients.",
		}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ws_dropped_total", Help: "WebSocket connections dropped by the server, by reason.",
		}, []string{"reason"}),
		fanout: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "ws_fanout_seconds",
			Help:    "Time from an event's timestamp (or its arrival) to its frame written to one connection.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}),
	}
	for _, r := range []string{ReasonSlow, ReasonBackpressure, ReasonTimeout, ReasonWrite, ReasonProtocol, ReasonShutdown, ReasonLogout} {
		m.dropped.WithLabelValues(r)
	}
	return m
}

// Collectors returns the hub's metrics for cmd to register:
// ws_connections_open, ws_messages_in_total, ws_messages_out_total,
// ws_dropped_total{reason} and ws_fanout_seconds.
func (h *Hub) Collectors() []prometheus.Collector {
	m := h.metrics
	return []prometheus.Collector{m.open, m.in, m.out, m.dropped, m.fanout}
}
