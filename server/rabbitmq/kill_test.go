package rabbitmq_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/echosenseix/echosenseix/server"
	"github.com/echosenseix/echosenseix/server/rabbitmq"
)

// Worker mode: the test binary re-executed with workerModeEnv set runs a
// queue worker instead of the tests. It appends each job id it starts to
// the file workerLogEnv names, then holds the job until killed.
const (
	workerModeEnv   = "RABBITMQ_TEST_WORKER_MODE"
	workerURLEnv    = "RABBITMQ_TEST_WORKER_URL"
	workerPrefixEnv = "RABBITMQ_TEST_WORKER_PREFIX"
	workerLogEnv    = "RABBITMQ_TEST_WORKER_LOG"
)

func runWorker(mode string) int {
	f, err := os.OpenFile(os.Getenv(workerLogEnv), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 2
	}
	defer f.Close()
	q, err := rabbitmq.New(rabbitmq.Config{URL: os.Getenv(workerURLEnv), Prefix: os.Getenv(workerPrefixEnv), Concurrency: 4})
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 2
	}
	var mu sync.Mutex
	q.Register("work", func(ctx context.Context, j *server.Job) error {
		mu.Lock()
		_, err := fmt.Fprintln(f, j.ID)
		mu.Unlock()
		if err != nil {
			return err
		}
		<-ctx.Done() // mode "block": held until the process dies
		return ctx.Err()
	})
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return 0
}

// startedIDs reads the ids the worker logged.
func startedIDs(path string) []string {
	b, _ := os.ReadFile(path)
	return strings.Fields(string(b))
}

// TestSIGKILLWorkerJobsRunAgain: a worker process holding 4 jobs is killed
// with SIGKILL; the broker hands its unacknowledged jobs to the next
// consumer, and every one of the 20 jobs completes.
func TestSIGKILLWorkerJobsRunAgain(t *testing.T) {
	const n = 20
	cfg := testConfig(t)
	producer := cfg
	producer.DisableWorkers = true
	p := mustQueue(t, producer)
	ids := map[string]bool{}
	for i := range n {
		j, err := p.AddJob(context.Background(), "work", fmt.Appendf(nil, `{"i":%d}`, i), server.JobOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ids[j.ID] = true
	}
	log := filepath.Join(t.TempDir(), "started")
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), workerModeEnv+"=block", workerURLEnv+"="+cfg.URL, workerPrefixEnv+"="+cfg.Prefix, workerLogEnv+"="+log)
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = child.Process.Kill(); _ = child.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for len(startedIDs(log)) < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("worker started %d jobs within 20s; want 4", len(startedIDs(log)))
		}
		time.Sleep(20 * time.Millisecond)
	}
	held := startedIDs(log)
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()

	var mu sync.Mutex
	runs := map[string]int{}
	redelivered := 0
	q := mustQueue(t, cfg)
	q.Register("work", func(_ context.Context, j *server.Job) error {
		mu.Lock()
		defer mu.Unlock()
		runs[j.ID]++
		return nil
	})
	deadline = time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		got := len(runs)
		mu.Unlock()
		if got == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs completed after the kill: got %d within 20s; want %d", got, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	for id, c := range runs {
		if !ids[id] || c != 1 {
			t.Errorf("job %s: ran %d times after the kill (known %v); want once", id, c, ids[id])
		}
	}
	for _, id := range held {
		if runs[id] == 1 {
			redelivered++
		}
	}
	if redelivered != len(held) {
		t.Errorf("jobs held by the killed worker run again: got %d; want %d", redelivered, len(held))
	}
	t.Logf("killed worker held %d jobs; all %d completed on the next consumer", len(held), n)
}
