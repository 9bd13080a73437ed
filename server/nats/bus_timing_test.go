package nats_test

import (
	"testing"

	"github.com/echosenseix/echosenseix/server/bustest"
)

// BenchmarkBusFanout: one event from instance a to a subscriber on
// instance b. The peer is server/redis's benchmark of the same name
// (pub/sub).
func BenchmarkBusFanout(b *testing.B) {
	cfg := testConfig(b, "a")
	other := cfg
	other.Instance = "b"
	bustest.BenchFanout(b, mustBus(b, cfg), mustBus(b, other))
}
