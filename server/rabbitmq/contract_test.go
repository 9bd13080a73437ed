package rabbitmq_test

import (
	"testing"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/queuetest"
)

func TestQueueContract(t *testing.T) {
	queuetest.Run(t, func(tb testing.TB, opt queuetest.Options) server.Queue {
		cfg := testConfig(tb)
		cfg.Concurrency, cfg.MaxAttempts, cfg.BackoffBase = opt.Concurrency, opt.MaxAttempts, opt.BackoffBase
		return mustQueue(tb, cfg)
	})
}
