package nats

import (
	natsio "github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
)

// Collectors returns the Bus's metrics: whether its connection is up, the
// events delivered to subscribers and the repeats dropped by event id.
func (b *Bus) Collectors() []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "echosenseix_nats_bus_connected", Help: "1 when the event bus connection to NATS is up.",
		}, func() float64 {
			if b.nc.Status() == natsio.CONNECTED {
				return 1
			}
			return 0
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "echosenseix_nats_bus_delivered_total", Help: "Events delivered to this instance's subscribers.",
		}, func() float64 { return float64(b.Delivered()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "echosenseix_nats_bus_duplicates_total", Help: "Repeated events (same id) dropped before delivery.",
		}, func() float64 { return float64(b.Duplicates()) }),
	}
}
