package rabbitmq

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
)

// Collectors returns the Queue's metrics: whether its connection is up and
// how often it was re-established.
func (q *Queue) Collectors() []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "echosenseix_rabbitmq_connected", Help: "1 when the job queue's connection to RabbitMQ is up.",
		}, func() float64 {
			if q.Ping(context.Background()) == nil {
				return 1
			}
			return 0
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "echosenseix_rabbitmq_reconnects_total", Help: "Connections to RabbitMQ re-established after a loss.",
		}, func() float64 { return float64(q.reconnects.Load()) }),
	}
}
