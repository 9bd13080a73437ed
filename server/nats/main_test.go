package nats_test

import (
	"time"

	"testing"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/server/nats"
)

func TestMain(m *testing.M) { stack.Main(m) }

// testConfig is a stream of its own on the shared server, deleted (with
// its consumers) when tb ends.
func testConfig(tb testing.TB, instance string) nats.Config {
	cfg := nats.Config{URL: stack.NATS(tb), Prefix: stack.UniqueName("es_test_"), Instance: instance, AckWait: 2 * time.Second}
	tb.Cleanup(func() {
		if err := nats.DeleteStream(cfg); err != nil {
			tb.Logf("delete stream of %s: %v", cfg.Prefix, err)
		}
	})
	return cfg
}

// mustBus makes a bus closed when tb ends (before the stream is deleted).
func mustBus(tb testing.TB, cfg nats.Config) *nats.Bus {
	tb.Helper()
	b, err := nats.NewBus(cfg)
	if err != nil {
		tb.Fatalf("nats.NewBus: %v", err)
	}
	tb.Cleanup(func() { _ = b.Close() })
	return b
}
