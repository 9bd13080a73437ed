package nats_test

import (
	"testing"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/bustest"
)

func TestBusContract(t *testing.T) {
	bustest.Run(t, func(tb testing.TB) server.Bus { return mustBus(tb, testConfig(tb, "a")) })
}

func TestBusContractShared(t *testing.T) {
	bustest.RunShared(t, func(tb testing.TB) (server.Bus, server.Bus) {
		cfg := testConfig(tb, "a")
		other := cfg
		other.Instance = "b"
		return mustBus(tb, cfg), mustBus(tb, other)
	})
}
