package redis_test

import (
	"testing"

	"github.com/echosenseix/echosenseix/server/bustest"
)

// BenchmarkBusFanout: one event from bus a to a subscriber on bus b (two
// clients, as two instances). The candidate it is the peer of is
// server/nats's benchmark of the same name (JetStream).
func BenchmarkBusFanout(b *testing.B) {
	cfg := testConfig(b)
	bustest.BenchFanout(b, mustBus(b, cfg), mustBus(b, cfg))
}
