package rabbitmq_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/internal/stack"
	"github.com/echosenseix/echosenseix/server/rabbitmq"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(workerModeEnv); mode != "" {
		os.Exit(runWorker(mode))
	}
	stack.Main(m)
}

// testConfig is a queue of its own on the shared broker: a unique prefix,
// short back-off.
func testConfig(tb testing.TB) rabbitmq.Config {
	return rabbitmq.Config{URL: stack.RabbitMQ(tb), Prefix: stack.UniqueName("es_test_"), Concurrency: 4,
		BackoffBase: 20 * time.Millisecond}
}

// mustQueue makes a queue closed, then destroyed (its exchanges and queues
// deleted), when tb ends.
func mustQueue(tb testing.TB, cfg rabbitmq.Config) *rabbitmq.Queue {
	tb.Helper()
	q, err := rabbitmq.New(cfg)
	if err != nil {
		tb.Fatalf("rabbitmq.New: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = q.Close(ctx)
		if err := q.Destroy(); err != nil {
			tb.Logf("destroy %s: %v", cfg.Prefix, err)
		}
	})
	return q
}
